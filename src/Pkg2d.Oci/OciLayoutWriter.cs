namespace Pkg2d.Oci;

/// <summary>Writes a <see cref="Layout"/> as an OCI image layout folder: oci-layout, index.json, blobs/sha256/&lt;hex&gt;.</summary>
public static class OciLayoutWriter
{
    private const int ParallelBlobs = 4;

    /// <summary>
    /// Creates <paramref name="directory"/>, which must not exist yet (an existing folder is refused, never replaced).
    /// The folder appears complete or not at all; every blob is verified against its digest and size as it is copied.
    /// </summary>
    public static Task WriteAsync(Layout layout, string directory, CancellationToken cancellationToken = default) =>
        AtomicOutput.CreateDirectoryAsync(directory, async (temp, ct) =>
        {
            var blobDir = Path.Combine(temp, "blobs", Digest.Algorithm);
            Directory.CreateDirectory(blobDir);
            // A few at a time: each file is fsynced, and one blob's sync overlaps another's copying and hashing.
            await Parallel.ForEachAsync(layout.Blobs, new ParallelOptions { MaxDegreeOfParallelism = ParallelBlobs, CancellationToken = ct },
                (blob, c) => new ValueTask(AtomicOutput.WriteNewFileAsync(
                    Path.Combine(blobDir, blob.Descriptor.Digest.Hex),
                    (file, c2) => BlobCopy.CopyVerifiedAsync(blob, file, c2), c))).ConfigureAwait(false);
            await AtomicOutput.WriteNewFileAsync(Path.Combine(temp, "oci-layout"),
                (file, c) => file.WriteAsync(Layout.OciLayoutJson, c).AsTask(), ct).ConfigureAwait(false);
            await AtomicOutput.WriteNewFileAsync(Path.Combine(temp, "index.json"),
                (file, c) => file.WriteAsync(layout.IndexJson, c).AsTask(), ct).ConfigureAwait(false);
        }, cancellationToken);
}

/// <summary>
/// Writes a <see cref="Layout"/> as one tar (what <c>oci-archive:</c> reads) holding the same entries as the folder,
/// in ordinal name order with deterministic headers, so the same layout always gives the same archive bytes.
/// </summary>
public static class OciArchiveWriter
{
    /// <summary>Creates or atomically replaces the archive file; every blob is verified as it is copied.</summary>
    public static Task WriteAsync(Layout layout, string path, CancellationToken cancellationToken = default) =>
        AtomicOutput.WriteFileAsync(path, (file, ct) => WriteToAsync(layout, file, ct), cancellationToken);

    /// <summary>Streams the archive into any stream; on an exception the stream holds a partial archive.</summary>
    public static async Task WriteToAsync(Layout layout, Stream output, CancellationToken cancellationToken = default)
    {
        var tar = new DeterministicTarWriter(output);
        await tar.AddDirectoryAsync("blobs/", cancellationToken).ConfigureAwait(false);
        await tar.AddDirectoryAsync($"blobs/{Digest.Algorithm}/", cancellationToken).ConfigureAwait(false);
        foreach (var blob in layout.Blobs)
        {
            await tar.AddFileAsync(Layout.BlobPath(blob.Descriptor.Digest), blob.Descriptor.Size,
                (s, ct) => BlobCopy.CopyVerifiedAsync(blob, s, ct), cancellationToken).ConfigureAwait(false);
        }
        await tar.AddFileAsync("index.json", layout.IndexJson, cancellationToken).ConfigureAwait(false);
        await tar.AddFileAsync("oci-layout", Layout.OciLayoutJson, cancellationToken).ConfigureAwait(false);
        await tar.FinishAsync(cancellationToken).ConfigureAwait(false);
    }
}
