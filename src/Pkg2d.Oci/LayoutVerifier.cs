using System.IO.Compression;
using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>What <see cref="LayoutVerifier"/> found: the ref names, how many blobs were hashed, and every problem.</summary>
public sealed record LayoutReport(IReadOnlyList<string> RefNames, int BlobsChecked, IReadOnlyList<string> Problems)
{
    public bool IsValid => Problems.Count == 0;

    public void ThrowIfInvalid()
    {
        if (!IsValid)
            throw new InvalidDataException($"invalid OCI layout: {string.Join("; ", Problems)}");
    }
}

/// <summary>
/// Checks an OCI layout folder from the reader's side, as strictly as umoci: oci-layout's version; every blob
/// reachable from index.json exists with the declared size and digest; manifests, indexes and configs parse and
/// reference what they should; each layer decompresses to the diff_id its config declares.
/// </summary>
public sealed class LayoutVerifier
{
    private const long MaxJsonBlob = 4 << 20;

    private readonly string _root;
    private readonly List<string> _problems = [];
    private readonly Dictionary<Digest, bool> _checked = [];
    private readonly Dictionary<Digest, Digest?> _diffIds = [];

    private LayoutVerifier(string root) => _root = root;

    public static async Task<LayoutReport> VerifyAsync(string directory, CancellationToken cancellationToken = default)
    {
        var verifier = new LayoutVerifier(directory);
        var refNames = await verifier.RunAsync(cancellationToken).ConfigureAwait(false);
        return new LayoutReport(refNames, verifier._checked.Count, verifier._problems);
    }

    private async Task<List<string>> RunAsync(CancellationToken cancellationToken)
    {
        var refNames = new List<string>();
        var layoutFile = Path.Combine(_root, "oci-layout");
        if (!File.Exists(layoutFile))
            _problems.Add($"'{layoutFile}' is missing");
        else
        {
            try
            {
                using var layout = JsonDocument.Parse(await File.ReadAllBytesAsync(layoutFile, cancellationToken).ConfigureAwait(false));
                if (CanonicalJson.OptionalString(layout.RootElement, "imageLayoutVersion") != "1.0.0")
                    _problems.Add("oci-layout: imageLayoutVersion is not 1.0.0");
            }
            catch (JsonException e)
            {
                _problems.Add($"oci-layout is not valid JSON: {e.Message}");
            }
        }

        ImageIndex index;
        try
        {
            index = ImageIndex.Parse(await File.ReadAllBytesAsync(Path.Combine(_root, "index.json"), cancellationToken).ConfigureAwait(false), "index.json");
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            _problems.Add(e.Message);
            return refNames;
        }
        foreach (var descriptor in index.Manifests)
        {
            string? name = null;
            descriptor.Annotations?.TryGetValue(AnnotationKeys.RefName, out name);
            if (name is not null)
                refNames.Add(name);
            await VisitAsync(descriptor, $"index.json entry {name ?? descriptor.Digest.ToString()}", cancellationToken).ConfigureAwait(false);
        }
        return refNames;
    }

    private async Task VisitAsync(Descriptor descriptor, string where, CancellationToken cancellationToken)
    {
        if (MediaTypes.IsIndex(descriptor.MediaType))
        {
            if (await ReadJsonBlobAsync(descriptor, where, cancellationToken).ConfigureAwait(false) is not { } bytes)
                return;
            var index = Parse(() => ImageIndex.Parse(bytes, $"index {descriptor.Digest}"));
            foreach (var child in index?.Manifests ?? [])
                await VisitAsync(child, $"index {descriptor.Digest}", cancellationToken).ConfigureAwait(false);
        }
        else if (MediaTypes.IsManifest(descriptor.MediaType))
            await VisitManifestAsync(descriptor, where, cancellationToken).ConfigureAwait(false);
        else
            _problems.Add($"{where}: {descriptor.Digest} has media type '{descriptor.MediaType}', not a manifest or index");
    }

    private async Task VisitManifestAsync(Descriptor descriptor, string where, CancellationToken cancellationToken)
    {
        if (await ReadJsonBlobAsync(descriptor, where, cancellationToken).ConfigureAwait(false) is not { } bytes)
            return;
        var what = $"manifest {descriptor.Digest}";
        if (Parse(() => Manifest.Parse(bytes, what)) is not { } manifest)
            return;
        if (manifest.ArtifactType is not null)
        {
            await VisitArtifactAsync(manifest, what, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (manifest.Config.MediaType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig))
            _problems.Add($"{what}: config media type '{manifest.Config.MediaType}' is not an image config");
        if (await ReadJsonBlobAsync(manifest.Config, what, cancellationToken).ConfigureAwait(false) is not { } configBytes)
            return;
        if (Parse(() => ImageConfig.Parse(configBytes, $"config {manifest.Config.Digest}")) is not { } config)
            return;
        if (descriptor.Platform is { } platform && platform != config.Platform)
            _problems.Add($"{where}: declares platform {platform} but config {manifest.Config.Digest} is {config.Platform}");
        if (config.DiffIds.Count != manifest.Layers.Count)
        {
            _problems.Add($"{what}: {manifest.Layers.Count} layers but its config has {config.DiffIds.Count} diff_ids");
            return;
        }
        for (var i = 0; i < manifest.Layers.Count; i++)
        {
            var layer = manifest.Layers[i];
            if (!MediaTypes.IsLayer(layer.MediaType))
            {
                _problems.Add($"{what}: layer {layer.Digest} has media type '{layer.MediaType}'");
                continue;
            }
            var diffId = await CheckLayerAsync(layer, what, cancellationToken).ConfigureAwait(false);
            if (diffId is { } actual && actual != config.DiffIds[i])
                _problems.Add($"{what}: layer {layer.Digest} decompresses to {actual}, but diff_id {i} is {config.DiffIds[i]}");
        }
    }

    /// <summary>An artifact that refers to an image (an SBOM): its config and blobs are there as declared, and so is its subject.</summary>
    private async Task VisitArtifactAsync(Manifest manifest, string what, CancellationToken cancellationToken)
    {
        await ReadJsonBlobAsync(manifest.Config, what, cancellationToken).ConfigureAwait(false);
        foreach (var blob in manifest.Layers)
            await CheckLayerAsync(blob, what, cancellationToken).ConfigureAwait(false);
        if (manifest.Subject is { } subject && OpenBlob(subject, $"{what}: subject") is { } file)
            file.Dispose();
    }

    /// <summary>Checks a layer's size and digest and returns the digest of its tar, hashing the file in one pass.</summary>
    private async Task<Digest?> CheckLayerAsync(Descriptor layer, string where, CancellationToken cancellationToken)
    {
        if (_diffIds.TryGetValue(layer.Digest, out var known))
            return known;
        Digest? diffId = null;
        if (OpenBlob(layer, where) is { } file)
        {
            await using (file)
            {
                using var stored = new HashingReadStream(file);
                try
                {
                    if (MediaTypes.IsGzipLayer(layer.MediaType))
                    {
                        await using var tar = new GZipStream(stored, CompressionMode.Decompress, leaveOpen: true);
                        diffId = await Digest.FromStreamAsync(tar, cancellationToken).ConfigureAwait(false);
                    }
                }
                catch (InvalidDataException e)
                {
                    _problems.Add($"{where}: layer {layer.Digest} is not valid gzip: {e.Message}");
                }
                var digest = stored.DrainAndGetDigest();
                if (CheckBlob(layer, digest, stored.BytesRead, where) && !MediaTypes.IsGzipLayer(layer.MediaType))
                    diffId = digest;
            }
        }
        _diffIds[layer.Digest] = diffId;
        return diffId;
    }

    private async Task<byte[]?> ReadJsonBlobAsync(Descriptor descriptor, string where, CancellationToken cancellationToken)
    {
        if (OpenBlob(descriptor, where) is not { } file)
            return null;
        await using (file)
        {
            if (file.Length > MaxJsonBlob)
            {
                _problems.Add($"{where}: {descriptor.Digest} is {file.Length} bytes, too large for a {descriptor.MediaType}");
                return null;
            }
            var bytes = new byte[file.Length];
            await file.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return CheckBlob(descriptor, Digest.FromBytes(bytes), bytes.Length, where) ? bytes : null;
        }
    }

    private FileStream? OpenBlob(Descriptor descriptor, string where)
    {
        var path = Path.Combine(_root, "blobs", Digest.Algorithm, descriptor.Digest.Hex);
        if (File.Exists(path))
            return File.OpenRead(path);
        _problems.Add($"{where}: blob {descriptor.Digest} is missing ({path})");
        _checked[descriptor.Digest] = false;
        return null;
    }

    private bool CheckBlob(Descriptor descriptor, Digest actual, long size, string where)
    {
        if (_checked.TryGetValue(descriptor.Digest, out var ok))
            return ok;
        var faults = new List<string>();
        if (size != descriptor.Size)
            faults.Add($"has {size} bytes, {descriptor.Size} declared");
        if (actual != descriptor.Digest)
            faults.Add($"hashes to {actual}");
        ok = faults.Count == 0;
        if (!ok)
            _problems.Add($"{where}: blob {descriptor.Digest} {string.Join(" and ", faults)}");
        _checked[descriptor.Digest] = ok;
        return ok;
    }

    private T? Parse<T>(Func<T> parse) where T : class
    {
        try
        {
            return parse();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or ArgumentException)
        {
            _problems.Add(e.Message);
            return null;
        }
    }
}
