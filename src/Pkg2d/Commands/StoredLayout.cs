using System.Formats.Tar;
using Pkg2d.Oci;

namespace Pkg2d.Commands;

/// <summary>
/// An OCI layout someone else may have written, read a blob at a time: each one bounded in size and checked against
/// the digest and size that name it, so a damaged or hostile layout gives an error, never other bytes.
/// </summary>
internal abstract class StoredLayout(string source)
{
    /// <summary>The folder or archive, as errors name it.</summary>
    protected string Source { get; } = source;

    private const long MaxIndexBytes = 4L << 20;

    /// <summary>index.json, at most 4 MiB.</summary>
    public byte[] IndexJson() =>
        Read("index.json", MaxIndexBytes) ?? throw new InvalidDataException($"{Source}: no index.json: not an OCI layout");

    /// <summary>The blob <paramref name="descriptor"/> names, refused beyond <paramref name="limit"/> bytes.</summary>
    public byte[] Blob(Descriptor descriptor, long limit)
    {
        if (descriptor.Size > limit)
            throw new InvalidDataException($"{Source}: blob {descriptor.Digest} is declared with {descriptor.Size} bytes, more than {limit} allowed here");
        var bytes = Read(Layout.BlobPath(descriptor.Digest), descriptor.Size)
            ?? throw new InvalidDataException($"{Source}: blob {descriptor.Digest} is missing");
        if (bytes.Length != descriptor.Size || Digest.FromBytes(bytes) != descriptor.Digest)
            throw new InvalidDataException($"{Source}: blob {descriptor.Digest} does not hold what its digest and size ({descriptor.Size} bytes) say");
        return bytes;
    }

    /// <summary>The file at <paramref name="path"/> (layout-relative), at most <paramref name="limit"/> + 1 bytes of it; null when absent.</summary>
    protected abstract byte[]? Read(string path, long limit);

    /// <summary>Up to <paramref name="limit"/> + 1 bytes, so a caller sees a file longer than allowed.</summary>
    protected static byte[] ReadBounded(Stream stream, long limit)
    {
        using var bytes = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while (bytes.Length <= limit && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, limit + 1 - bytes.Length))) > 0)
            bytes.Write(buffer, 0, read);
        if (bytes.Length > limit)
            throw new InvalidDataException($"a file of the layout is larger than the {limit} bytes allowed for it");
        return bytes.ToArray();
    }
}

/// <summary>A layout folder; only regular files are read (a link to a device is refused).</summary>
internal sealed class FolderLayout(string folder) : StoredLayout(folder)
{
    protected override byte[]? Read(string path, long limit)
    {
        var file = new FileInfo(Path.Combine(Source, path));
        if (!file.Exists)
            return null;
        if (file.LinkTarget is not null || (file.Attributes & (FileAttributes.Device | FileAttributes.Directory)) != 0)
            throw new InvalidDataException($"{Source}: {path} is not a regular file");
        using var stream = file.OpenRead();
        return ReadBounded(stream, limit);
    }
}

/// <summary>An oci-archive: each read walks the tar to the one entry wanted, skipping the others' data.</summary>
internal sealed class ArchiveLayout(string archive) : StoredLayout(archive)
{
    protected override byte[]? Read(string path, long limit)
    {
        using var file = File.OpenRead(Source);
        using var reader = new TarReader(file);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile && entry.Name.TrimStart('.').TrimStart('/') == path)
                return entry.DataStream is { } data ? ReadBounded(data, limit) : [];
        }
        return null;
    }
}
