using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Resolve;

namespace Pkg2d.Fetch;

/// <summary>
/// The packages of a set of repositories for one arch: their verified indexes, resolution of a world against them,
/// and fetching of verified package files into the cache.
/// </summary>
public sealed class ApkSource : IDisposable
{
    private readonly RepositoryTransport _transport;
    private readonly PackageFetcher _fetcher;
    private readonly bool _offline;
    // Building the solver's tables costs far more than one resolution: build them once per set of indexes.
    private readonly Lazy<PackageSolver> _solver;

    private readonly Task _snapshotsWritten;

    private ApkSource(RepositorySet repositories, PackageCache cache, TrustedKeys keys, RepositoryTransport transport, RepositoryOptions options,
        Action<string>? warn, Task snapshotsWritten)
    {
        _snapshotsWritten = snapshotsWritten;
        Repositories = repositories;
        Cache = cache;
        Keys = keys;
        _transport = transport;
        _offline = options.Offline;
        Generation = options.ApkTools ?? GenerationOf(repositories.Packages);
        _solver = new Lazy<PackageSolver>(() => new PackageSolver(Packages, Arch, Repositories.TagOf, Generation));
        _fetcher = new PackageFetcher(
            cache, transport, keys, repositories.PackageLocations, options.AllowUntrusted, options.MaxConcurrentDownloads,
            options.Progress ?? (Console.IsErrorRedirected ? null : Console.Error), warn);
    }

    public RepositorySet Repositories { get; }

    /// <summary>
    /// The apk-tools images of these repositories are installed with: the one asked for, else 3 when the newest
    /// `apk-tools` the indexes offer is 3.x (Alpine 3.23 and later), else 2.
    /// </summary>
    public ApkToolsGeneration Generation { get; }

    private static ApkToolsGeneration GenerationOf(IEnumerable<ApkIndexEntry> packages) =>
        packages.Where(p => p.Name == "apk-tools").Select(p => p.Version).Any(v => ApkVersion.Compare(v, "3") >= 0)
            ? ApkToolsGeneration.V3
            : ApkToolsGeneration.V2;

    public string Arch => Repositories.Arch;

    public PackageCache Cache { get; }

    public TrustedKeys Keys { get; }

    /// <summary>Every available package, repository by repository.</summary>
    public IEnumerable<ApkIndexEntry> Packages => Repositories.Packages;

    /// <summary>Loads and verifies the indexes of every repository the options name, for the options' arch.</summary>
    public static async Task<ApkSource> OpenAsync(RepositoryOptions options, Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        var arch = AlpineArch.Validate(options.Arch ?? AlpineArch.Host());
        var specs = options.ResolveRepositories();
        var cache = new PackageCache(options.CacheDir ?? PackageCache.DefaultDirectory());
        var keys = options.LoadTrustedKeys(warn);
        var transport = new RepositoryTransport(options.Transport);
        try
        {
            var loader = new IndexLoader(transport, cache, keys, options.AllowUntrusted, options.Offline, warn);
            var repositories = await loader.LoadAsync(specs, arch, cancellationToken);
            return new ApkSource(repositories, cache, keys, transport, options, warn, loader.SnapshotsWritten);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    /// <summary>The packages to install for a world (`name`, `name>=1.2`, `name@tag`...), in install order.</summary>
    public Solution Resolve(IReadOnlyList<string> world) => _solver.Value.Solve(world);

    /// <summary>The verified cached files of the given packages, in the same order (downloaded as needed).</summary>
    public Task<IReadOnlyList<FetchedPackage>> FetchAsync(IEnumerable<ApkIndexEntry> packages, CancellationToken cancellationToken = default)
    {
        if (_offline)
        {
            var missing = packages.Where(p => !File.Exists(Cache.PackagePath(p))).Select(p => p.ToString()).ToArray();
            if (missing.Length > 0)
                throw new FetchException($"offline, and not in the cache {Cache.PackagesDir}: {string.Join(", ", missing)}", Cache.PackagesDir);
        }
        return _fetcher.FetchAllAsync(packages, cancellationToken);
    }

    /// <summary>Also waits for the indexes' snapshots to be written (a snapshot that cannot be written is no error).</summary>
    public void Dispose()
    {
        _transport.Dispose();
        _snapshotsWritten.Wait();
    }
}
