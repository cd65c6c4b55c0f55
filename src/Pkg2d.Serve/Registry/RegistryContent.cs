using Microsoft.Extensions.Logging;
using Pkg2d.Oci;

namespace Pkg2d.Serve.Registry;

/// <summary>A repository of the registry: one image (a manifest or, with several platforms, an index) tagged <c>latest</c>.</summary>
internal sealed class Repository(string name, IOciArtifact artifact)
{
    public const string Tag = "latest";

    public string Name { get; } = name;

    /// <summary>The image's own manifest or index, as stored (never converted).</summary>
    public IBlob Manifest => Find(artifact.Descriptor.Digest)
        ?? throw new InvalidOperationException($"the image of {Name} does not hold its own manifest {artifact.Descriptor.Digest}");

    /// <summary>A blob of this image (its manifests, configs and layers), or null: others' blobs are not served here.</summary>
    public IBlob? Find(Digest digest) => artifact.Blobs.FirstOrDefault(b => b.Descriptor.Digest == digest);
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

    /// <summary>The repository of a valid name, or null when it is neither in the root layout nor a world that resolves.</summary>
    /// <exception cref="ProviderBusyException">The world may resolve, but not now.</exception>
    public async ValueTask<Repository?> FindAsync(string name, CancellationToken cancellationToken)
    {
        if (provider.Root.Entries.FirstOrDefault(e => e.Name == name) is { } entry)
            return new Repository(name, entry.Artifact);
        var world = name.Replace('/', ',');
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
        return layout?.Entries.FirstOrDefault(e => e.Name == Repository.Tag) is { } image ? new Repository(name, image.Artifact) : null;
    }
}
