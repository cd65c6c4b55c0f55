using Microsoft.Extensions.Logging;
using Pkg2d.Oci;

namespace Pkg2d.Serve.Registry;

/// <summary>
/// A repository of the registry: one image (a manifest or, with several platforms, an index) tagged <c>latest</c>,
/// and the images it had before that are still retained, readable by digest only. A repository whose image was
/// forgotten has no tag, only retained images.
/// </summary>
internal sealed class Repository(string name, IOciArtifact? artifact, IReadOnlyList<IOciArtifact> retained)
{
    public const string Tag = "latest";

    public string Name { get; } = name;

    /// <summary>The image's own manifest or index, as stored (never converted); null when only retained images are left.</summary>
    public IBlob? Manifest => artifact is null ? null : Find(artifact.Descriptor.Digest)
        ?? throw new InvalidOperationException($"the image of {Name} does not hold its own manifest {artifact.Descriptor.Digest}");

    public IReadOnlyList<string> Tags => artifact is null ? [] : [Tag];

    /// <summary>
    /// A blob of this image or a retained one (their manifests, configs and layers), or null: others' blobs are not
    /// served here.
    /// </summary>
    public IBlob? Find(Digest digest) =>
        Artifacts.SelectMany(a => a.BlobsWithReferrers()).FirstOrDefault(b => b.Descriptor.Digest == digest);

    /// <summary>The artifacts (an SBOM) whose subject is the manifest <paramref name="subject"/>, each once, in digest order.</summary>
    public IReadOnlyList<OciReferrer> ReferrersOf(Digest subject) =>
        [.. Artifacts.SelectMany(a => a.Referrers()).Where(r => r.Subject.Digest == subject)
            .DistinctBy(r => r.Descriptor.Digest).OrderBy(r => r.Descriptor.Digest.Hex, StringComparer.Ordinal)];

    private IEnumerable<IOciArtifact> Artifacts => artifact is null ? retained : retained.Prepend(artifact);

    /// <summary>The repository of the layout entry named <paramref name="entry"/>, with what the layout retains under that name.</summary>
    public static Repository Of(string name, Layout layout, LayoutEntry entry) =>
        new(name, entry.Artifact, [.. layout.Retained.Where(r => r.Name == entry.Name).Select(r => r.Artifact)]);
}

/// <summary>
/// The registry's view of an <see cref="ILayoutProvider"/>: each entry of the root layout is repository NAME, and any
/// other valid name is an on-demand world whose path segments are its packages (<c>gcc/make</c> is world
/// <c>gcc,make</c>), as Nixery names images. Nothing is cached here: the provider keeps resolved worlds.
/// </summary>
internal sealed class RegistryContent(ILayoutProvider provider, ILogger<RegistryContent> logger)
{
    /// <summary>The configured and remembered images that a client can name, sorted.</summary>
    public IReadOnlyList<string> Catalog() =>
        provider.Root.Entries.Select(e => e.Name).Where(RegistryRoute.IsValidName).Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The repository of a valid name, or null when it is neither in the root layout nor a world that resolves. A
    /// request by <paramref name="digest"/> that an image retained under the name holds is answered from it, without
    /// resolving anything: a forgotten image stays pullable by digest while it is retained.
    /// </summary>
    /// <exception cref="ProviderBusyException">The world may resolve, but not now.</exception>
    public async ValueTask<Repository?> FindAsync(string name, Digest? digest, CancellationToken cancellationToken)
    {
        var root = provider.Root;
        if (root.Entries.FirstOrDefault(e => e.Name == name) is { } entry)
            return Repository.Of(name, root, entry);
        var world = name.Replace('/', ',');
        if (digest is { } wanted)
        {
            var kept = root.Retained.Where(r => r.Name == name || r.Name == world).Select(r => r.Artifact).ToArray();
            if (kept.Any(a => a.BlobsWithReferrers().Any(b => b.Descriptor.Digest == wanted)))
                return new Repository(name, null, kept);
        }
        Layout? layout;
        try
        {
            layout = await provider.ForWorldAsync(world, cancellationToken);
        }
        catch (Exception e) when (e is not ProviderBusyException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            logger.LogError("Resolving the world '{World}' failed: {Reason}", world, e.Message);
            return null;
        }
        return layout?.Entries.FirstOrDefault(e => e.Name == Repository.Tag) is { } image ? Repository.Of(name, layout, image) : null;
    }
}
