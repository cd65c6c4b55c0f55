namespace Pkg2d.Oci;

/// <summary>Something a layout can name: a single-platform image or a multi-platform index.</summary>
public interface IOciArtifact
{
    /// <summary>The descriptor that references this artifact (from index.json or a parent index).</summary>
    Descriptor Descriptor { get; }

    /// <summary>Every blob reachable from the artifact, its own manifest or index first; may repeat a digest.</summary>
    IEnumerable<IBlob> Blobs { get; }
}

public static class OciArtifacts
{
    /// <summary>The artifacts that refer to an image or to one of an index's images.</summary>
    public static IEnumerable<OciReferrer> Referrers(this IOciArtifact artifact) => artifact switch
    {
        OciImage image => image.Referrers,
        OciImageIndex index => index.Images.SelectMany(i => i.Referrers),
        _ => [],
    };

    /// <summary>The artifact's blobs, then those of the artifacts that refer to it.</summary>
    public static IEnumerable<IBlob> BlobsWithReferrers(this IOciArtifact artifact) =>
        artifact.Blobs.Concat(artifact.Referrers().SelectMany(r => r.Blobs));
}

/// <summary>A single-platform image: manifest blob + config blob + layer blobs.</summary>
public sealed class OciImage : IOciArtifact
{
    /// <param name="config">The config; its diff_ids are taken from <paramref name="layers"/> when empty, else must match them.</param>
    public OciImage(ImageConfig config, IReadOnlyList<ILayer> layers, IReadOnlyDictionary<string, string>? annotations = null)
    {
        var diffIds = layers.Select(l => l.DiffId).ToArray();
        if (config.DiffIds.Count == 0)
            config = config with { DiffIds = diffIds };
        else if (!config.DiffIds.SequenceEqual(diffIds))
            throw new ArgumentException(
                $"the config's diff_ids ({string.Join(", ", config.DiffIds)}) do not match the layers' ({string.Join(", ", diffIds)})",
                nameof(config));
        var layerSteps = config.History.Count(h => !h.EmptyLayer);
        if (config.History.Count > 0 && layerSteps != layers.Count)
            throw new ArgumentException(
                $"the config's history has {layerSteps} non-empty steps for {layers.Count} layers", nameof(config));

        Config = config;
        Layers = layers;
        ConfigBlob = new MemoryBlob(MediaTypes.OciConfig, config.ToJson());
        Manifest = new Manifest(ConfigBlob.Descriptor, layers.Select(l => l.Descriptor).ToArray()) { Annotations = annotations };
        ManifestBlob = new MemoryBlob(MediaTypes.OciManifest, Manifest.ToJson());
        Descriptor = ManifestBlob.Descriptor with { Platform = config.Platform };
    }

    private OciImage(OciImage image, IReadOnlyList<OciReferrer> referrers)
    {
        Config = image.Config;
        Layers = image.Layers;
        ConfigBlob = image.ConfigBlob;
        Manifest = image.Manifest;
        ManifestBlob = image.ManifestBlob;
        Descriptor = image.Descriptor;
        Referrers = referrers;
    }

    /// <summary>This image with artifacts that refer to it (an SBOM); the image's own bytes do not change.</summary>
    public OciImage WithReferrers(IReadOnlyList<OciReferrer> referrers)
    {
        if (referrers.FirstOrDefault(r => r.Subject.Digest != Descriptor.Digest) is { } other)
            throw new ArgumentException($"artifact {other.Descriptor.Digest} refers to {other.Subject.Digest}, not to this image {Descriptor.Digest}", nameof(referrers));
        return new OciImage(this, referrers);
    }

    public ImageConfig Config { get; }
    public IReadOnlyList<ILayer> Layers { get; }
    public Manifest Manifest { get; }
    public MemoryBlob ConfigBlob { get; }
    public MemoryBlob ManifestBlob { get; }
    public Platform Platform => Config.Platform;

    /// <summary>The manifest's descriptor, carrying the image's platform.</summary>
    public Descriptor Descriptor { get; }

    /// <summary>Artifacts whose subject is this image; not among <see cref="Blobs"/>: a layout or registry lists them apart.</summary>
    public IReadOnlyList<OciReferrer> Referrers { get; } = [];

    public IEnumerable<IBlob> Blobs => [ManifestBlob, ConfigBlob, .. Layers];
}

/// <summary>A multi-platform image: an image index over one image per platform.</summary>
public sealed class OciImageIndex : IOciArtifact
{
    public OciImageIndex(IReadOnlyList<OciImage> images, IReadOnlyDictionary<string, string>? annotations = null)
    {
        if (images.Count == 0)
            throw new ArgumentException("an image index needs at least one image", nameof(images));
        if (images.GroupBy(i => i.Platform).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            throw new ArgumentException($"two images for platform {duplicate.Key} in one index", nameof(images));
        Images = images;
        Index = new ImageIndex(images.Select(i => i.Descriptor).ToArray()) { Annotations = annotations };
        IndexBlob = new MemoryBlob(MediaTypes.OciIndex, Index.ToJson());
    }

    public IReadOnlyList<OciImage> Images { get; }
    public ImageIndex Index { get; }
    public MemoryBlob IndexBlob { get; }
    public Descriptor Descriptor => IndexBlob.Descriptor;

    public IEnumerable<IBlob> Blobs => [IndexBlob, .. Images.SelectMany(i => i.Blobs)];

    public OciImage ForPlatform(Platform platform) =>
        Images.FirstOrDefault(i => i.Platform == platform)
        ?? throw new KeyNotFoundException(
            $"no image for platform {platform}; the index has {string.Join(", ", Images.Select(i => i.Platform))}");
}
