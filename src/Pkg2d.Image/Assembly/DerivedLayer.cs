using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;

namespace Pkg2d.Image.Assembly;

/// <summary>One part of a <see cref="DerivedLayer"/>.</summary>
public abstract record LayerPart;

/// <summary>Tar entries the image writes itself (no end-of-archive marker).</summary>
public sealed record OwnEntries(byte[] Tar) : LayerPart;

/// <summary>
/// Entries of a package's data tar, in tar order: all of them, each as it is unless <see cref="Changes"/> says
/// otherwise, or with <see cref="OnlyChanged"/> just the changed ones (copies of single files).
/// </summary>
public sealed record PackageEntries(PackageFacts Package, IReadOnlyDictionary<string, EntryChange> Changes, bool OnlyChanged = false) : LayerPart;

/// <summary>What becomes of one data-tar entry: dropped (no <see cref="Path"/>), moved, and/or given another owner or mode.</summary>
public sealed record EntryChange(string? Path, EntryOwner? Owner = null, int? Mode = null)
{
    public static readonly EntryChange Drop = new((string?)null);
}

/// <summary>
/// An uncompressed layer made of parts: the image's own entries and packages' data-tar entries copied block by
/// block (renamed or re-owned where apk would put or own them differently), then one end-of-archive marker. The bytes
/// are a pure function of the parts, so the layer is identical whenever it is rebuilt; uncompressed, its digest does
/// not depend on any compressor's version. Merged small packages, packages re-rooted under a merged /usr and top
/// layers that carry copies of package files are all derived layers.
/// </summary>
public static class DerivedLayer
{
    private const int Block = RawTarEntry.Block;

    /// <summary>A name for the layer that changes whenever any part changes.</summary>
    public static string KeyOf(IEnumerable<LayerPart> parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
        {
            switch (part)
            {
                case OwnEntries own:
                    hash.AppendData(SHA256.HashData(own.Tar));
                    break;
                case PackageEntries entries:
                    var text = new StringBuilder($"\n{entries.Package.Key} {entries.OnlyChanged}\n");
                    foreach (var (path, change) in entries.Changes.OrderBy(c => c.Key, StringComparer.Ordinal))
                        text.Append($"{path}\0{change.Path}\0{change.Owner}\n");
                    hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
                    break;
            }
        }
        return "derived-" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>True when the layer needs no package bytes, so its digests cost nothing to compute.</summary>
    public static bool IsOwnOnly(IReadOnlyList<LayerPart> parts) => parts.All(p => p is OwnEntries);

    public static Layer Create(IReadOnlyList<LayerPart> parts, LayerDigests digests, Func<PackageFacts, Stream> openData) =>
        new(digests, () => Open(parts, openData), MediaTypes.OciLayer);

    /// <summary>Streams the layer once to learn its digest and size.</summary>
    public static LayerDigests ComputeDigests(IReadOnlyList<LayerPart> parts, Func<PackageFacts, Stream> openData)
    {
        using var layer = Open(parts, openData);
        return Layer.ComputeDigests(layer, MediaTypes.OciLayer);
    }

    private static Stream Open(IReadOnlyList<LayerPart> parts, Func<PackageFacts, Stream> openData)
    {
        if (IsOwnOnly(parts))
        {
            var buffer = new MemoryStream();
            Write(parts, openData, buffer);
            buffer.Position = 0;
            return buffer;
        }
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await using var output = pipe.Writer.AsStream(leaveOpen: true);
                Write(parts, openData, output);
            }
            catch (Exception e)
            {
                failure = e;
            }
            await pipe.Writer.CompleteAsync(failure);
        });
        return pipe.Reader.AsStream();
    }

    private static void Write(IReadOnlyList<LayerPart> parts, Func<PackageFacts, Stream> openData, Stream output)
    {
        foreach (var part in parts)
        {
            switch (part)
            {
                case OwnEntries own:
                    output.Write(own.Tar);
                    break;
                case PackageEntries entries:
                    using (var data = openData(entries.Package))
                    using (var tar = new GZipStream(data, CompressionMode.Decompress))
                        CopyEntries(new RawTarReader(tar, entries.Package.ToString()), output, entries);
                    break;
            }
        }
        output.Write(new byte[2 * Block]);
    }

    private static void CopyEntries(RawTarReader reader, Stream output, PackageEntries entries)
    {
        var left = entries.OnlyChanged ? entries.Changes.Count : int.MaxValue;
        while (left > 0 && reader.Next() is { } entry)
        {
            if (!entries.Changes.TryGetValue(entry.Path, out var change))
            {
                if (entries.OnlyChanged)
                    continue;
                entry.WriteHeaders(output);
            }
            else
            {
                left--;
                if (change.Path is null)
                    continue;
                entry.WriteModifiedHeaders(output, change.Path, change.Owner, change.Mode);
            }
            reader.CopyContent(output);
        }
        if (entries.OnlyChanged && left > 0)
            throw new InvalidDataException($"{entries.Package}: the data tar lacks entries its facts list");
    }
}
