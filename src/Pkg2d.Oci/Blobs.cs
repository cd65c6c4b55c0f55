using System.IO.Compression;

namespace Pkg2d.Oci;

/// <summary>
/// Content addressed by its descriptor. The descriptor is known without reading the bytes; <see cref="Open"/>
/// produces them (from memory, a file, or by building them on the fly) each time it is called, possibly from
/// several threads at once (a filesystem serving the blob, a writer exporting it).
/// </summary>
public interface IBlob
{
    Descriptor Descriptor { get; }

    /// <summary>A new stream over the blob's bytes from the start; the caller disposes it.</summary>
    Stream Open();
}

/// <summary>A filesystem layer: a blob plus the digest of its uncompressed tar (the config's diff_id).</summary>
public interface ILayer : IBlob
{
    Digest DiffId { get; }
}

/// <summary>A small blob held in memory: configs, manifests, indexes.</summary>
public sealed class MemoryBlob : IBlob
{
    private readonly byte[] _bytes;

    public MemoryBlob(string mediaType, byte[] bytes)
    {
        _bytes = bytes;
        Descriptor = new Descriptor(mediaType, Digest.FromBytes(bytes), bytes.Length);
    }

    public Descriptor Descriptor { get; }

    public ReadOnlyMemory<byte> Bytes => _bytes;

    public Stream Open() => new MemoryStream(_bytes, writable: false);
}

/// <summary>The three numbers that describe a layer: compressed digest and size, and the uncompressed diff_id.</summary>
public readonly record struct LayerDigests(Digest Digest, long Size, Digest DiffId);

/// <summary>
/// A layer whose digests are known up front (e.g. from a metadata cache) and whose bytes come from a factory
/// called only when the layer is opened. Writers verify the produced bytes against the digest and size.
/// </summary>
public sealed class Layer : ILayer
{
    private readonly Func<Stream> _open;

    public Layer(Descriptor descriptor, Digest diffId, Func<Stream> open)
    {
        if (!MediaTypes.IsLayer(descriptor.MediaType))
            throw new ArgumentException($"'{descriptor.MediaType}' is not a layer media type (blob {descriptor.Digest})", nameof(descriptor));
        if (descriptor.MediaType == MediaTypes.OciLayer && diffId != descriptor.Digest)
            throw new ArgumentException($"uncompressed layer {descriptor.Digest} must have itself as diff_id, not {diffId}", nameof(diffId));
        Descriptor = descriptor;
        DiffId = diffId;
        _open = open;
    }

    public Layer(LayerDigests digests, Func<Stream> open, string mediaType = MediaTypes.OciLayerGzip)
        : this(new Descriptor(mediaType, digests.Digest, digests.Size), digests.DiffId, open)
    {
    }

    public Descriptor Descriptor { get; }
    public Digest DiffId { get; }

    public Stream Open() => _open();

    /// <summary>A layer read from a file, hashing it once now to learn its digests.</summary>
    public static Layer FromFile(string path, string mediaType = MediaTypes.OciLayerGzip)
    {
        LayerDigests digests;
        using (var file = File.OpenRead(path))
            digests = ComputeDigests(file, mediaType);
        return new Layer(digests, () => File.OpenRead(path), mediaType);
    }

    /// <summary>A layer held in memory (small layers, tests).</summary>
    public static Layer FromBytes(byte[] bytes, string mediaType = MediaTypes.OciLayerGzip)
    {
        var digests = ComputeDigests(new MemoryStream(bytes, writable: false), mediaType);
        return new Layer(digests, () => new MemoryStream(bytes, writable: false), mediaType);
    }

    /// <summary>Reads a layer once, hashing the bytes as stored and, for gzip, the decompressed tar.</summary>
    public static LayerDigests ComputeDigests(Stream stream, string mediaType)
    {
        using var stored = new HashingReadStream(stream, leaveOpen: true);
        if (!MediaTypes.IsGzipLayer(mediaType))
        {
            var digest = stored.DrainAndGetDigest();
            return new LayerDigests(digest, stored.BytesRead, digest);
        }
        Digest diffId;
        using (var tar = new GZipStream(stored, CompressionMode.Decompress, leaveOpen: true))
            diffId = Digest.FromStream(tar);
        var compressed = stored.DrainAndGetDigest();
        return new LayerDigests(compressed, stored.BytesRead, diffId);
    }
}
