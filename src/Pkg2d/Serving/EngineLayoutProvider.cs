using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Pkg2d.Fetch;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Catalog;
using Pkg2d.Oci;
using Pkg2d.Serve;

namespace Pkg2d.Serving;

/// <summary>
/// The daemon's images, built by the image engine. The top level holds the configured images and every image
/// requested before whose name can be an OCI reference; `/&lt;world&gt;/` holds one image resolved on demand.
/// Resolved images are kept in the catalog, so after a restart they are served again without reading an index,
/// and their manifests, configs and blob sizes come from the metadata cache: nothing is downloaded until a layer's
/// bytes are read. On-demand worlds are bounded: in entries (<see cref="ServeOptions.MaxWorldEntries"/>), in how
/// many resolve at once (<see cref="ServeOptions.MaxResolving"/>) and in how many are remembered
/// (<see cref="ServeOptions.MaxImages"/>, least recently used forgotten first); configured images are not.
/// A refresh resolves every image that is not locked against the repositories' new indexes and publishes the
/// changed ones in one step; what they replaced is retained for <see cref="ServeOptions.Retain"/>, then collected.
/// </summary>
internal sealed class EngineLayoutProvider : IRefreshingLayoutProvider, IDisposable
{
    private readonly ImageEngine _engine;
    private readonly ImageCatalog _catalog;
    private readonly BlobCache _blobs;
    private readonly ILogger _logger;
    private readonly ServeOptions _serve;
    private readonly LockFile? _lock;
    private readonly ConcurrentDictionary<string, Lazy<Task<Layout>>> _building = new(StringComparer.Ordinal);
    private readonly RecentImages _recent;
    private readonly SemaphoreSlim _resolving;
    private readonly SemaphoreSlim _refreshing = new(1, 1);

    // Collection and on-demand builds exclude each other: a build learns packages no published image references yet.
    // A build passes the gate only while no collection runs; a collection starts only while no build is under way.
    private readonly SemaphoreSlim _collecting = new(1, 1);
    private readonly Lock _buildsLock = new();
    private int _builds;
    private readonly Lock _publishing = new();
    private volatile ServedImages _served = ServedImages.Empty;
    private IReadOnlySet<string> _configured = new HashSet<string>();

    /// <summary>Keys of images the last refresh could not move on: they are tried again at every refresh. Guarded by <see cref="_refreshing"/>.</summary>
    private HashSet<string> _behind = new(StringComparer.Ordinal);

    /// <param name="lockFile">The configured images it has are assembled from it, never resolved.</param>
    public EngineLayoutProvider(ServeOptions serve, RepositoryOptions repositories, LockFile? lockFile, BlobCache blobs, ILogger<EngineLayoutProvider> logger)
    {
        _logger = logger;
        _serve = serve;
        _lock = lockFile;
        _blobs = blobs;
        _engine = new ImageEngine(repositories with { CacheDir = serve.CacheDirectory },
            warning => logger.LogWarning("{Warning}", warning), keepPackages: false);
        _catalog = new ImageCatalog(Path.Combine(serve.CacheDirectory, "images"));
        _recent = new RecentImages(serve.MaxImages);
        _resolving = new SemaphoreSlim(serve.MaxResolving);
    }

    public Layout Root => _served.Root;

    /// <summary>
    /// Builds what is served: images remembered from before, the retained ones whose time is not up, then the
    /// configured ones (resolved if new).
    /// </summary>
    public async Task InitializeAsync(IReadOnlyList<ImageSpec> configured, CancellationToken cancellationToken)
    {
        _configured = configured.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);

        var remembered = _catalog.All(_engine.Arch, (path, reason) => _logger.LogWarning("Ignoring catalog entry {Path}: {Reason}", path, reason))
            .Where(r => !_configured.Contains(r.Name) && AsAsked(r)).ToArray();
        // All of them count against the limit, also those the top level cannot show (their names are no references).
        foreach (var image in remembered)
            Remember(new RememberedImage(image.Name, image.World));
        foreach (var image in remembered.Where(r => _recent.Contains(new RememberedImage(r.Name, r.World))))
        {
            if (await TryServeAsync(image, locked: false, cancellationToken) is { } served)
                lock (_publishing)
                    PublishWorldLocked(image.Name, served);
        }
        await RestoreRetainedAsync(cancellationToken);
        foreach (var spec in configured)
        {
            var world = spec.WorldWith(ImageSpec.DefaultBase);
            if (spec.Arches is { } arches && !arches.Contains(_engine.Arch))
            {
                _logger.LogWarning("Image {Name} is not served: it is for {Arches}, this daemon serves {Arch}", spec.Name, string.Join(' ', arches), _engine.Arch);
                continue;
            }
            ResolvedImage resolved;
            var locked = _lock?.Images.Any(i => i.Name == spec.Name && i.Arch == _engine.Arch) == true;
            try
            {
                if (locked)
                {
                    resolved = _lock!.Find(spec.Name, _engine.Arch, world, _engine.RequestedApkTools, spec.Settings);
                    _logger.LogInformation("Building {Name} from the lock: {Count} package(s)", spec.Name, resolved.Packages.Count);
                }
                else
                    resolved = (_catalog.TryGet(spec.Name, _engine.Arch, world) is { } known && AsAsked(known)
                        ? known
                        : await ResolveAsync(spec.Name, world, cancellationToken)) with { Settings = spec.Settings };
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("Image {Name} ({World}) is not served: {Reason}", spec.Name, string.Join(' ', world), e.Message);
                continue;
            }
            if (await TryServeAsync(resolved, locked, cancellationToken) is not { } image)
                continue;
            // A locked image is not put in the catalog: without the lock, the daemon resolves it afresh.
            // Without its settings: the configuration gives them at every start, and a record of an image no longer
            // configured is served as an on-demand world, which has none.
            if (!locked)
                _catalog.Put(resolved with { Settings = ImageSettings.None });
            lock (_publishing)
                _served = _served.With(top: _served.Top.SetItem(spec.Name, image));
        }
        _logger.LogInformation("Serving {Count} image(s) at the top level: {Names}", _served.Top.Count, string.Join(", ", _served.Top.Keys.Order()));
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
        if (_served.WorldLayout(world) is { } served)
        {
            _recent.Touch(world);
            return served;
        }
        var lazy = _building.GetOrAdd(world, w => new Lazy<Task<Layout>>(() => BuildWorldAsync(w, entries)));
        try
        {
            var layout = await lazy.Value.WaitAsync(cancellationToken);
            _recent.Touch(world);
            return layout;
        }
        catch (ProviderBusyException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not kept: the next lookup tries again (the mirror may be back, the index may have changed).
            _logger.LogWarning("World {World} cannot be served: {Reason}", world, e.Message);
            return null;
        }
        finally
        {
            // Once built, the world is in what is served; while it builds, lookups share this one build.
            if (lazy.Value.IsCompleted)
                _building.TryRemove(KeyValuePair.Create(world, lazy));
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
        var full = new ImageSpec(world, entries).WorldWith(ImageSpec.DefaultBase);
        Layout layout;
        await _collecting.WaitAsync();
        lock (_buildsLock)
            _builds++;
        _collecting.Release();
        try
        {
            while (true)
            {
                var source = await _engine.SourceAsync(CancellationToken.None);
                _logger.LogInformation("Resolving {Name}: {World}", world, string.Join(' ', full));
                var resolved = _engine.Resolve(world, full, source);
                var image = new ServedImage(resolved, await _engine.AssembleAsync(resolved), Locked: false);
                lock (_publishing)
                {
                    // A refresh that replaced the indexes meanwhile did not see this world: resolve it again.
                    if (_engine.CurrentSource == source)
                    {
                        PublishWorldLocked(world, image);
                        Catalogue(() => _catalog.Put(resolved), world);
                        layout = _served.WorldLayout(world)!;
                        break;
                    }
                }
            }
        }
        finally
        {
            lock (_buildsLock)
                _builds--;
            _resolving.Release();
        }
        Remember(new RememberedImage(world, full));
        return layout;
    }

    /// <summary>Serves an image as an on-demand world, and at the top level unless its name is no reference or a configured image has it.</summary>
    private void PublishWorldLocked(string world, ServedImage image)
    {
        var served = _served;
        var top = Layout.IsValidRefName(world) && !_configured.Contains(world) ? served.Top.SetItem(world, image) : served.Top;
        _served = served.With(top: top, worlds: served.Worlds.SetItem(world, image));
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
                lock (_publishing)
                {
                    var served = _served;
                    if (served.Worlds.TryGetValue(old.Name, out var forgotten))
                    {
                        var top = !configured && served.Top.TryGetValue(old.Name, out var shown) && shown == forgotten ? served.Top.Remove(old.Name) : served.Top;
                        _served = served.With(top: top, worlds: served.Worlds.Remove(old.Name), retained: RetainLocked(served.Retained, old.Name, forgotten));
                    }
                }
            }
            // Else the same name was resolved for another world (the base changed): only that record goes.
            if (!configured)
                Catalogue(() => _catalog.Remove(old.Name, _engine.Arch, old.World), old.Name);
        }
    }

    /// <summary>
    /// The retained images with <paramref name="image"/> added, kept until <see cref="ServeOptions.Retain"/> from now
    /// (on disk too, so a restart keeps serving it by digest). At most <see cref="ServeOptions.MaxImages"/> are
    /// retained: beyond that, those whose time is nearest go early.
    /// </summary>
    private ImmutableList<RetainedImage> RetainLocked(ImmutableList<RetainedImage> retained, string name, ServedImage image)
    {
        if (_serve.Retain <= TimeSpan.Zero)
            return retained;
        var until = DateTimeOffset.UtcNow + _serve.Retain;
        if (!image.Locked)
            Catalogue(() => _catalog.Retain(image.Resolved, image.Manifest.ToString(), until), name);
        retained = retained.Add(new RetainedImage(name, image, until));
        while (retained.Count > _serve.MaxImages)
        {
            var first = retained[0];
            _logger.LogInformation("No longer retaining {Name} (manifest {Digest}): more than {Max} images are retained (MaxImages)",
                first.Name, first.Image.Manifest, _serve.MaxImages);
            Catalogue(() => _catalog.Release(first.Image.Resolved, first.Image.Manifest.ToString()), first.Name);
            retained = retained.RemoveAt(0);
        }
        return retained;
    }

    /// <summary>
    /// Whether an image remembered from a previous run was installed as the apk-tools asked for now (`ApkTools`);
    /// one that was not is resolved again when asked for.
    /// </summary>
    private bool AsAsked(ResolvedImage image) => _engine.RequestedApkTools is not { } asked || image.ApkTools == asked;

    /// <summary>The retained images a previous run left whose time is not up, assembled again (from the metadata cache).</summary>
    private async Task RestoreRetainedAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var (resolved, manifest, until) in _catalog.Retained(_engine.Arch, (path, reason) => _logger.LogWarning("Ignoring retained image {Path}: {Reason}", path, reason)))
        {
            var served = until > now && AsAsked(resolved) ? await TryServeAsync(resolved, locked: false, cancellationToken) : null;
            if (served is null || served.Manifest.ToString() != manifest)
            {
                _catalog.Release(resolved, manifest);
                continue;
            }
            lock (_publishing)
                _served = _served.With(retained: _served.Retained.Add(new RetainedImage(resolved.Name, served, until)));
        }
    }

    /// <summary>
    /// Writes to the catalog, which only lets a restart serve the same images again: a failure (a full disk) is logged
    /// and changes nothing about what is served now.
    /// </summary>
    private void Catalogue(Action write, string image)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("The catalog could not record {Image}: {Reason}", image, e.Message);
        }
    }

    /// <summary>An image assembled from a resolution, or null (logged) when it cannot be.</summary>
    private async Task<ServedImage?> TryServeAsync(ResolvedImage resolved, bool locked, CancellationToken cancellationToken)
    {
        try
        {
            return new ServedImage(resolved, await _engine.AssembleAsync(resolved, cancellationToken: cancellationToken), locked);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogError("Image {Name} ({World}) is not served: {Reason}", resolved.Name, string.Join(' ', resolved.World), e.Message);
            return null;
        }
    }

    private async Task<ResolvedImage> ResolveAsync(string name, IReadOnlyList<string> world, CancellationToken cancellationToken)
    {
        _logger.LogInformation("Resolving {Name}: {World}", name, string.Join(' ', world));
        return await _engine.ResolveAsync(name, world, cancellationToken);
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            ApkSource fresh;
            try
            {
                fresh = await _engine.LoadSourceAsync(warning => _logger.LogWarning("refresh: {Warning}", warning), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogError("refresh: nothing changed, the repositories could not be read (tried again at the next refresh): {Reason}", e.Message);
                return;
            }
            var current = _engine.CurrentSource;
            var changed = ChangedRepositories(current, fresh);
            if (changed.Count == 0 && _behind.Count == 0)
            {
                _logger.LogInformation("refresh: no repository index changed");
                fresh.Dispose();
                return;
            }
            if (current is null)
                _logger.LogInformation("refresh: no index was read since the start; checking every image against the current ones");
            else
                foreach (var repository in changed)
                    _logger.LogInformation("refresh: the index of {Repository} changed ({Location}, sha256 {Sha256})",
                        repository.Spec, repository.IndexLocation, repository.IndexSha256);
            await MoveOnAsync(fresh, onlyBehind: changed.Count == 0, cancellationToken);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>The repositories whose index is not the one <paramref name="current"/> holds (all of them when nothing was loaded yet).</summary>
    private static List<LoadedRepository> ChangedRepositories(ApkSource? current, ApkSource fresh)
    {
        var before = current?.Repositories.Repositories.Select(r => (r.IndexLocation, r.IndexSha256)).ToHashSet() ?? [];
        return [.. fresh.Repositories.Repositories.Where(r => !before.Contains((r.IndexLocation, r.IndexSha256)))];
    }

    /// <summary>
    /// Resolves every image that is not locked (or, with <paramref name="onlyBehind"/>, those a refresh could not move
    /// before) against <paramref name="fresh"/>, then publishes the new indexes and the changed images at once. Images
    /// published meanwhile (on-demand worlds) are done in a further pass. An image that fails keeps its manifest.
    /// </summary>
    private async Task MoveOnAsync(ApkSource fresh, bool onlyBehind, CancellationToken cancellationToken)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var behind = new HashSet<string>(StringComparer.Ordinal);
        var moved = 0;
        var first = true;
        while (true)
        {
            var todo = _served.Current.Where(i => !i.Locked && !done.Contains(i.Key) && (!onlyBehind || _behind.Contains(i.Key))).ToArray();
            if (todo.Length == 0 && !first)
                break;
            var replacements = new List<(ServedImage Old, ServedImage New)>();
            foreach (var old in todo)
            {
                done.Add(old.Key);
                try
                {
                    var resolved = _engine.Resolve(old.Name, old.World, fresh) with { Settings = old.Resolved.Settings };
                    var image = await _engine.AssembleAsync(resolved, cancellationToken: cancellationToken);
                    if (image.Descriptor.Digest != old.Manifest)
                        replacements.Add((old, new ServedImage(resolved, image, Locked: false)));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    behind.Add(old.Key);
                    _logger.LogError("refresh: {Name} keeps its manifest {Digest} (tried again at the next refresh): {Reason}", old.Name, old.Manifest, e.Message);
                }
            }
            lock (_publishing)
            {
                var served = _served;
                var top = served.Top;
                var worlds = served.Worlds;
                var retained = served.Retained;
                foreach (var (old, replacement) in replacements)
                {
                    // Forgotten meanwhile (MaxImages): nothing to replace.
                    var names = top.Where(t => t.Value == old).Select(t => t.Key).ToArray();
                    var dirs = worlds.Where(w => w.Value == old).Select(w => w.Key).ToArray();
                    if (names.Length + dirs.Length == 0)
                        continue;
                    foreach (var name in names)
                        top = top.SetItem(name, replacement);
                    foreach (var dir in dirs)
                        worlds = worlds.SetItem(dir, replacement);
                    retained = RetainLocked(retained, old.Name, old);
                    Catalogue(() => _catalog.Put(replacement.Resolved with { Settings = ImageSettings.None }), old.Name);
                    moved++;
                    _logger.LogInformation("refresh: {Name}: {Changes} (manifest {Digest})",
                        old.Name, PackageChanges.Describe(old.Resolved.Packages, replacement.Resolved.Packages), replacement.Manifest);
                }
                _served = served.With(top, worlds, retained);
                // The indexes switch with the images, in the same step as far as a build of a world can tell.
                if (first)
                    _engine.Use(fresh);
                first = false;
            }
        }
        _behind = behind;
        _logger.LogInformation("refresh: {Moved} image(s) moved to new manifests, {Behind} kept theirs after a failure", moved, _behind.Count);
    }

    public DateTimeOffset? Collect(DateTimeOffset now)
    {
        // Never beside a refresh or an on-demand build: they learn packages that no published image references yet.
        var retry = now + TimeSpan.FromMinutes(1);
        if (!_refreshing.Wait(0))
            return retry;
        if (!_collecting.Wait(0))
        {
            _refreshing.Release();
            return retry;
        }
        try
        {
            lock (_buildsLock)
            {
                if (_builds > 0)
                    return retry;
            }
            ServedImages served;
            lock (_publishing)
            {
                served = _served;
                var expired = served.Retained.Where(r => r.Until <= now).ToArray();
                if (expired.Length > 0)
                {
                    foreach (var gone in expired)
                    {
                        _logger.LogInformation("No longer retaining {Name} (manifest {Digest}): its {Retain} are up", gone.Name, gone.Image.Manifest, Duration.Format(_serve.Retain));
                        Catalogue(() => _catalog.Release(gone.Image.Resolved, gone.Image.Manifest.ToString()), gone.Name);
                    }
                    served = _served = served.With(retained: served.Retained.RemoveAll(expired.Contains));
                }
            }
            RemoveUnreferenced(served, now);
            return served.Retained.Count == 0 ? null : served.Retained.Min(r => r.Until);
        }
        finally
        {
            _collecting.Release();
            _refreshing.Release();
        }
    }

    /// <summary>Removes from the caches what no served or retained image references: blobs, package files, facts, stale indexes and resolutions.</summary>
    private void RemoveUnreferenced(ServedImages served, DateTimeOffset now)
    {
        var images = served.All.ToArray();
        var digests = images.SelectMany(i => i.Image.Blobs).Select(b => b.Descriptor.Digest).ToHashSet();
        var packages = images.SelectMany(i => i.Resolved.Packages).Select(p => p.Checksum?.Key).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var store = _engine.Store;
        var (blobFiles, blobBytes) = _blobs.RemoveUnreferenced(digests.Contains);
        store.ForgetAllBut(packages);
        var (packageFiles, packageBytes) = store.Cache.RemovePackagesExcept(packages);
        var facts = store.Facts.RemoveUnreferenced(packages, digests.Contains);
        var indexes = store.Cache.RemoveIndexesExcept(_engine.IndexLocations());
        // `export` keeps its resolutions in the same cache; they are cheap to make again.
        var resolutions = new ImageCatalog(Path.Combine(_serve.CacheDirectory, "resolved")).RemoveOlderThan(now - _serve.Retain);
        if (blobFiles + packageFiles + facts + indexes + resolutions > 0)
            _logger.LogInformation(
                "collect: removed {Blobs} blob(s) ({BlobBytes} bytes), {Packages} package file(s) ({PackageBytes} bytes), {Facts} facts record(s), "
                + "{Indexes} index file(s) and {Resolutions} kept resolution(s) that nothing references",
                blobFiles, blobBytes, packageFiles, packageBytes, facts, indexes, resolutions);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _resolving.Dispose();
        _refreshing.Dispose();
        _collecting.Dispose();
    }
}
