namespace Pkg2d.Oci;

/// <summary>
/// Writes what <c>docker load</c> and <c>podman load</c> read (docker-archive): a tar with <c>manifest.json</c>
/// <c>[{"Config", "RepoTags", "Layers"}]</c> and the config and layer blobs, stored as <c>blobs/sha256/&lt;hex&gt;</c>
/// as Docker 25's <c>docker save</c> does. Layers stay gzip-compressed: docker, podman and skopeo detect and
/// decompress them on load and check the result against the config's diff_ids.
/// </summary>
public static class DockerArchiveWriter
{
    /// <summary>Creates or atomically replaces the archive file; every blob is verified as it is copied.</summary>
    /// <param name="images">Repository tags ("name" or "name:tag"; a bare name gets ":latest") and their images.</param>
    public static Task WriteAsync(IEnumerable<KeyValuePair<string, OciImage>> images, string path, CancellationToken cancellationToken = default)
    {
        var list = images.ToArray();
        return AtomicOutput.WriteFileAsync(path, (file, ct) => WriteToAsync(list, file, ct), cancellationToken);
    }

    public static Task WriteAsync(string repoTag, OciImage image, string path, CancellationToken cancellationToken = default) =>
        WriteAsync([KeyValuePair.Create(repoTag, image)], path, cancellationToken);

    /// <summary>
    /// Writes every named image of a layout, tagged "name:latest" (or "name:tag"); a docker archive holds one
    /// platform per tag, so a multi-platform entry contributes its image for <paramref name="platform"/>.
    /// </summary>
    public static Task WriteAsync(Layout layout, Platform? platform, string path, CancellationToken cancellationToken = default) =>
        WriteAsync(layout.Entries.Select(e => KeyValuePair.Create(e.Name, e.Artifact switch
        {
            OciImage image => image,
            OciImageIndex index => index.ForPlatform(platform
                ?? throw new ArgumentException($"'{e.Name}' is a multi-platform image: choose a platform for the docker archive", nameof(platform))),
            _ => throw new ArgumentException($"'{e.Name}' is neither an image nor an image index", nameof(layout)),
        })), path, cancellationToken);

    /// <summary>Streams the archive into any stream; on an exception the stream holds a partial archive.</summary>
    public static async Task WriteToAsync(IEnumerable<KeyValuePair<string, OciImage>> images, Stream output, CancellationToken cancellationToken = default)
    {
        // One manifest.json entry per distinct image, with all its tags; entries and blobs in a stable order.
        var entries = images
            .GroupBy(p => p.Value.Descriptor.Digest)
            .Select(g => (Image: g.First().Value, Tags: g.Select(p => RepoTag(p.Key)).Distinct().Order(StringComparer.Ordinal).ToArray()))
            .OrderBy(e => e.Tags[0], StringComparer.Ordinal)
            .ToArray();
        if (entries.Length == 0)
            throw new ArgumentException("a docker archive needs at least one image", nameof(images));
        var duplicateTag = entries.SelectMany(e => e.Tags).GroupBy(t => t).FirstOrDefault(g => g.Count() > 1);
        if (duplicateTag is not null)
            throw new ArgumentException($"the tag '{duplicateTag.Key}' names two different images", nameof(images));

        var blobs = entries
            .SelectMany(e => e.Image.Blobs.Skip(1)) // the config and layers; docker-archive has no manifest blob
            .DistinctBy(b => b.Descriptor.Digest)
            .OrderBy(b => b.Descriptor.Digest.Hex, StringComparer.Ordinal);

        var tar = new DeterministicTarWriter(output);
        await tar.AddDirectoryAsync("blobs/", cancellationToken).ConfigureAwait(false);
        await tar.AddDirectoryAsync($"blobs/{Digest.Algorithm}/", cancellationToken).ConfigureAwait(false);
        foreach (var blob in blobs)
        {
            await tar.AddFileAsync(Layout.BlobPath(blob.Descriptor.Digest), blob.Descriptor.Size,
                (s, ct) => BlobCopy.CopyVerifiedAsync(blob, s, ct), cancellationToken).ConfigureAwait(false);
        }
        await tar.AddFileAsync("manifest.json", ManifestJson(entries), cancellationToken).ConfigureAwait(false);
        await tar.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>"name" becomes "name:latest"; "name:tag" and "host:port/name:tag" stay as they are.</summary>
    public static string RepoTag(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var lastSegment = name[(name.LastIndexOf('/') + 1)..];
        var repository = lastSegment.Contains(':') ? name[..name.LastIndexOf(':')] : name;
        if (repository.Any(char.IsUpper) || name.Contains('@'))
            throw new ArgumentException($"'{name}' is not a docker repository tag (lowercase name, optional :tag)", nameof(name));
        return lastSegment.Contains(':') ? name : name + ":latest";
    }

    private static byte[] ManifestJson(IEnumerable<(OciImage Image, string[] Tags)> entries) => CanonicalJson.Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var (image, tags) in entries)
        {
            writer.WriteStartObject();
            writer.WriteString("Config", Layout.BlobPath(image.ConfigBlob.Descriptor.Digest));
            CanonicalJson.WriteStrings(writer, "RepoTags", tags);
            writer.WriteStartArray("Layers");
            foreach (var layer in image.Layers)
                writer.WriteStringValue(Layout.BlobPath(layer.Descriptor.Digest));
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    });
}
