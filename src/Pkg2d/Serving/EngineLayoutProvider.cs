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
/// bytes are read. On-demand worlds are bounded: in entries (<see cref="ServeOptions.MaxWorldEntries"/>), in how
/// many resolve at once (<see cref="ServeOptions.MaxResolving"/>) and in how many are remembered
/// (<see cref="ServeOptions.MaxImages"/>, least recently used forgotten first); configured images are not.
/// </summary>
internal sealed class EngineLayoutProvider : ILayoutProvider, IDisposable
{
    private readonly ImageEngine _engine;
    private readonly ImageCatalog _catalog;
    private readonly ILogger _logger;
    private readonly ServeOptions _serve;
    private readonly LockFile? _lock;
    private readonly ConcurrentDictionary<string, Lazy<Task<Layout>>> _worlds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, OciImage> _root = new(StringComparer.Ordinal);
    private readonly RecentImages _recent;
    private readonly SemaphoreSlim _resolving;
    private readonly Lock _publishing = new();
    private volatile Layout _layout = new();
    private IReadOnlySet<string> _configured = new HashSet<string>();

    /// <param name="lockFile">The configured images it has are assembled from it, never resolved.</param>
    public EngineLayoutProvider(ServeOptions serve, RepositoryOptions repositories, LockFile? lockFile, ILogger<EngineLayoutProvider> logger)
    {
        _logger = logger;
        _serve = serve;
        _lock = lockFile;
        _engine = new ImageEngine(repositories with { CacheDir = serve.CacheDirectory },
            warning => logger.LogWarning("{Warning}", warning), keepPackages: false);
        _catalog = new ImageCatalog(Path.Combine(serve.CacheDirectory, "images"));
        _recent = new RecentImages(serve.MaxImages);
        _resolving = new SemaphoreSlim(serve.MaxResolving);
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

        var remembered = _catalog.All(_engine.Arch, (path, reason) => _logger.LogWarning("Ignoring catalog entry {Path}: {Reason}", path, reason))
            .Where(r => !_configured.Contains(r.Name)).Select(r => new RememberedImage(r.Name, r.World)).ToArray();
        // All of them count against the limit, also those the top level cannot show (their names are no references).
        foreach (var image in remembered)
            Remember(image);
        foreach (var image in remembered.Where(r => Layout.IsValidRefName(r.Name) && _recent.Contains(r)))
            await TryAddToRootAsync(image.Name, image.World, locked: null, cancellationToken);
        foreach (var spec in configured)
        {
            var world = spec.WorldWith(ImageSpec.DefaultBase);
            ResolvedImage? locked = null;
            if (_lock?.Images.Any(i => i.Name == spec.Name && i.Arch == _engine.Arch) == true)
            {
                try
                {
                    locked = _lock.Find(spec.Name, _engine.Arch, world);
                }
                catch (ArgumentException e)
                {
                    _logger.LogError("Image {Name} is not served: {Reason}", spec.Name, e.Message);
                    continue;
                }
            }
            await TryAddToRootAsync(spec.Name, world, locked, cancellationToken);
        }
        _logger.LogInformation("Serving {Count} image(s) at the top level: {Names}", _root.Count, string.Join(", ", _root.Keys.Order()));
    }

    public async ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken)
    {
        if (!_serve.OnDemand)
        {
            _logger.LogDebug("World {World} not built: on-demand images are turned off", world);
            return null;
        }
        var entries = world.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (entries.Length > _serve.MaxWorldEntries)
        {
            _logger.LogWarning("World {World} not built: it names {Count} packages, more than the {Max} allowed (MaxWorldEntries)",
                world, entries.Length, _serve.MaxWorldEntries);
            return null;
        }
        var lazy = _worlds.GetOrAdd(world, w => new Lazy<Task<Layout>>(() => BuildWorldAsync(w, entries)));
        try
        {
            var layout = await lazy.Value.WaitAsync(cancellationToken);
            _recent.Touch(world);
            return layout;
        }
        catch (ProviderBusyException)
        {
            _worlds.TryRemove(new KeyValuePair<string, Lazy<Task<Layout>>>(world, lazy));
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not cached: the next lookup tries again (the mirror may be back, the index may have changed).
            _worlds.TryRemove(new KeyValuePair<string, Lazy<Task<Layout>>>(world, lazy));
            _logger.LogWarning("World {World} cannot be served: {Reason}", world, e.Message);
            return null;
        }
    }

    private async Task<Layout> BuildWorldAsync(string world, string[] entries)
    {
        // Waited for here, inside the shared task, so concurrent lookups of one world take one slot.
        if (!await _resolving.WaitAsync(_serve.ResolvingWait))
        {
            _logger.LogWarning("World {World} not built now: {Max} world(s) were being resolved for {Wait}s (MaxResolving)",
                world, _serve.MaxResolving, _serve.ResolvingWait.TotalSeconds);
            throw new ProviderBusyException($"{_serve.MaxResolving} other world(s) are being resolved");
        }
        OciImage image;
        var full = new ImageSpec(world, entries).WorldWith(ImageSpec.DefaultBase);
        try
        {
            image = await ImageAsync(world, full, locked: null, CancellationToken.None);
        }
        finally
        {
            _resolving.Release();
        }
        var layout = new Layout(new LayoutEntry("latest", image));
        // Remembered at the top level too, unless the name is not a reference or a configured image has it.
        if (Layout.IsValidRefName(world) && !_configured.Contains(world))
            Publish(world, image);
        Remember(new RememberedImage(world, full));
        return layout;
    }

    /// <summary>Counts an on-demand image as just used, and forgets those beyond <see cref="ServeOptions.MaxImages"/>.</summary>
    private void Remember(RememberedImage image)
    {
        foreach (var old in _recent.Add(image))
        {
            // The catalog entry and the top-level image of a configured name are the configured image's.
            var configured = _configured.Contains(old.Name);
            if (old.Name != image.Name)
            {
                _logger.LogInformation("Forgetting the on-demand image {Name}: more than {Max} are remembered (MaxImages)", old.Name, _serve.MaxImages);
                _worlds.TryRemove(old.Name, out _);
                if (!configured)
                    Unpublish(old.Name);
            }
            // Else the same name was resolved for another world (the base changed): only that record goes.
            if (!configured)
                _catalog.Remove(old.Name, _engine.Arch, old.World);
        }
    }

    private async Task TryAddToRootAsync(string name, IReadOnlyList<string> world, ResolvedImage? locked, CancellationToken cancellationToken)
    {
        try
        {
            Publish(name, await ImageAsync(name, world, locked, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("Image {Name} ({World}) is not served: {Reason}", name, string.Join(' ', world), e.Message);
        }
    }

    /// <summary>
    /// An image from the lock, else from the catalog, else resolved now and remembered; assembled from the metadata
    /// cache. A locked image is not put in the catalog: without the lock, the daemon resolves it afresh.
    /// </summary>
    private async Task<OciImage> ImageAsync(string name, IReadOnlyList<string> world, ResolvedImage? locked, CancellationToken cancellationToken)
    {
        if (locked is not null)
        {
            _logger.LogInformation("Building {Name} from the lock: {Count} package(s)", name, locked.Packages.Count);
            return await _engine.AssembleAsync(locked, cancellationToken: cancellationToken);
        }
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

    private void Unpublish(string name)
    {
        lock (_publishing)
        {
            if (_root.TryRemove(name, out _))
                _layout = new Layout(_root.Select(r => new LayoutEntry(r.Key, r.Value)));
        }
    }

    public void Dispose()
    {
        _engine.Dispose();
        _resolving.Dispose();
    }
}
