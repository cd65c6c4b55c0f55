using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Pkg2d.Fetch;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Catalog;
using Pkg2d.Oci;
using Pkg2d.Serve;

namespace Pkg2d.Serving;

/// <summary>
/// The mount's layouts, built by the image engine. The top level holds the configured images and every image
/// requested before whose name can be an OCI reference; `/&lt;world&gt;/` holds one image resolved on demand.
/// Resolved images are kept in the catalog, so after a restart they are served again without reading an index,
/// and their manifests, configs and blob sizes come from the metadata cache: nothing is downloaded until a layer's
/// bytes are read.
/// </summary>
internal sealed class EngineLayoutProvider : ILayoutProvider, IDisposable
{
    private readonly ImageEngine _engine;
    private readonly ImageCatalog _catalog;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<OciImage>>> _worlds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OciImage> _root = new(StringComparer.Ordinal);
    private readonly Lock _publishing = new();
    private volatile Layout _layout = new();
    private IReadOnlySet<string> _configured = new HashSet<string>();
    private readonly bool _onDemand;

    public EngineLayoutProvider(ServeOptions serve, RepositoryOptions repositories, ILogger<EngineLayoutProvider> logger)
    {
        _logger = logger;
        _onDemand = serve.OnDemand;
        _engine = new ImageEngine(repositories with { CacheDir = serve.CacheDirectory },
            warning => logger.LogWarning("{Warning}", warning), keepPackages: false);
        _catalog = new ImageCatalog(Path.Combine(serve.CacheDirectory, "images"));
    }

    public Layout Root => _layout;

    /// <summary>Builds the top level: images remembered from before, then the configured ones (resolved if new).</summary>
    public async Task InitializeAsync(IReadOnlyList<string> images, CancellationToken cancellationToken)
    {
        var configured = new List<ImageSpec>();
        foreach (var text in images)
        {
            try
            {
                var spec = ImageSpec.Parse(text);
                if (!Layout.IsValidRefName(spec.Name))
                    throw new ArgumentException($"'{spec.Name}' is not a valid OCI reference name");
                configured.Add(spec);
            }
            catch (ArgumentException e)
            {
                _logger.LogError("Image {Image} is not served: {Reason}", text, e.Message);
            }
        }
        _configured = configured.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

        var remembered = _catalog.All(_engine.Arch, (path, reason) => _logger.LogWarning("Ignoring catalog entry {Path}: {Reason}", path, reason));
        foreach (var image in remembered.Where(r => Layout.IsValidRefName(r.Name) && !_configured.Contains(r.Name)))
            await TryAddToRootAsync(image.Name, image.World, cancellationToken);
        foreach (var spec in configured)
            await TryAddToRootAsync(spec.Name, spec.WorldWith(ImageSpec.DefaultBase), cancellationToken);
        _logger.LogInformation("Serving {Count} image(s) at the top level: {Names}", _root.Count, string.Join(", ", _root.Keys.Order()));
    }

    public async ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken)
    {
        if (!_onDemand)
        {
            _logger.LogDebug("World {World} not built: on-demand images are turned off", world);
            return null;
        }
        var lazy = _worlds.GetOrAdd(world, w => new Lazy<Task<OciImage>>(() => BuildWorldAsync(w)));
        try
        {
            return new Layout(new LayoutEntry("latest", await lazy.Value.WaitAsync(cancellationToken)));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not cached: the next lookup tries again (the mirror may be back, the index may have changed).
            _worlds.TryRemove(new KeyValuePair<string, Lazy<Task<OciImage>>>(world, lazy));
            _logger.LogWarning("World {World} cannot be served: {Reason}", world, e.Message);
            return null;
        }
    }

    private async Task<OciImage> BuildWorldAsync(string world)
    {
        var entries = world.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var spec = new ImageSpec(world, entries);
        var image = await ImageAsync(world, spec.WorldWith(ImageSpec.DefaultBase), CancellationToken.None);
        // Remembered at the top level too, unless the name is not a reference or a configured image has it.
        if (Layout.IsValidRefName(world) && !_configured.Contains(world))
            Publish(world, image);
        return image;
    }

    private async Task TryAddToRootAsync(string name, IReadOnlyList<string> world, CancellationToken cancellationToken)
    {
        try
        {
            Publish(name, await ImageAsync(name, world, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("Image {Name} ({World}) is not served: {Reason}", name, string.Join(' ', world), e.Message);
        }
    }

    /// <summary>An image from the catalog, or resolved now and remembered; assembled from the metadata cache.</summary>
    private async Task<OciImage> ImageAsync(string name, IReadOnlyList<string> world, CancellationToken cancellationToken)
    {
        var resolved = _catalog.TryGet(name, _engine.Arch, world);
        if (resolved is null)
        {
            _logger.LogInformation("Resolving {Name}: {World}", name, string.Join(' ', world));
            resolved = await _engine.ResolveAsync(name, world, cancellationToken);
        }
        var image = await _engine.AssembleAsync(resolved, cancellationToken: cancellationToken);
        _catalog.Put(resolved);
        return image;
    }

    private void Publish(string name, OciImage image)
    {
        lock (_publishing)
        {
            // The new layout first: were it refused, the top level stays as it was.
            _layout = new Layout(_root.Where(r => r.Key != name).Select(r => new LayoutEntry(r.Key, r.Value)).Append(new LayoutEntry(name, image)));
            _root[name] = image;
        }
    }

    public void Dispose() => _engine.Dispose();
}
