using System.Collections.Concurrent;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Oci;

namespace Pkg2d.Image.Packages;

/// <summary>
/// Packages as an image needs them: their facts (from the metadata cache, else fetched, verified and scanned once)
/// and their layer bytes, which are the byte range of the data member in the verified package cache. A package not
/// (or no longer) in the cache is fetched, and so verified, again before a byte of it is served.
/// </summary>
public sealed class PackageStore : ILayerSource, IDisposable
{
    private readonly ConcurrentDictionary<string, ApkIndexEntry> _entries = new(StringComparer.Ordinal);

    // Packages whose facts are being learned, by C: key: their downloads are scanned (see VerifyDownload).
    private readonly ConcurrentDictionary<string, PackageFacts?> _learning = new(StringComparer.Ordinal);
    private readonly RepositoryTransport _transport;
    private readonly PackageFetcher _fetcher;
    private readonly TrustedKeys _keys;
    private readonly bool _allowUntrusted;
    private readonly Action<string>? _warn;
    private readonly bool _keepPackages;

    /// <param name="locationsOf">Where a package can be downloaded, mirror by mirror; null: its index's folder.</param>
    /// <param name="keepPackages">
    /// False when layers are kept elsewhere (the daemon's blob cache): a package file is then deleted once its layer
    /// has been read, so the blob cache's size limit bounds the disk used and an evicted layer is fetched again.
    /// </param>
    public PackageStore(RepositoryOptions options, TrustedKeys keys, Func<ApkIndexEntry, IReadOnlyList<string>>? locationsOf, Action<string>? warn,
        bool keepPackages = true)
    {
        _keepPackages = keepPackages;
        Cache = new PackageCache(options.CacheDir ?? PackageCache.DefaultDirectory());
        Facts = new PackageFactsCache(Path.Combine(Cache.Root, "metadata"));
        _keys = keys;
        _allowUntrusted = options.AllowUntrusted;
        _warn = warn;
        _transport = new RepositoryTransport(options.Transport);
        _fetcher = new PackageFetcher(Cache, _transport, keys, locationsOf, options.AllowUntrusted, options.MaxConcurrentDownloads,
            options.Progress ?? (Console.IsErrorRedirected ? null : Console.Error), warn, VerifyDownload);
    }

    public PackageCache Cache { get; }

    public PackageFactsCache Facts { get; }

    public EngineStats Stats { get; } = new();

    /// <summary>
    /// Verifies a downloaded package. One whose facts are being learned is scanned instead, which verifies it in the
    /// same pass over its bytes (one inflate, one signature check), and its facts are kept for <see cref="LearnAsync"/>.
    /// </summary>
    private void VerifyDownload(Stream package, ApkIndexEntry entry)
    {
        if (entry.Checksum?.Key is { } key && _learning.ContainsKey(key))
            _learning.TryUpdate(key, PackageScanner.Scan(package, entry, _keys, _allowUntrusted, _warn), null);
        else
            PackageVerifier.Verify(package, entry, _keys, _allowUntrusted, _warn);
    }

    /// <summary>Each package's facts, in the given order: from the metadata cache, else fetched, verified and scanned.</summary>
    public async Task<IReadOnlyList<PackageFacts>> LearnAsync(IReadOnlyList<ApkIndexEntry> packages, CancellationToken cancellationToken = default)
    {
        var facts = new PackageFacts?[packages.Count];
        var missing = new List<int>();
        for (var i = 0; i < packages.Count; i++)
        {
            var key = packages[i].Checksum?.Key
                ?? throw new InvalidOperationException($"{packages[i]} from {packages[i].Repository} has no C: checksum");
            facts[i] = Facts.TryGet(key);
            if (facts[i] is null)
                missing.Add(i);
            else
                Stats.Known();
        }
        if (missing.Count > 0)
        {
            foreach (var m in missing)
                _learning.TryAdd(packages[m].Checksum!.Key, null);
            try
            {
                // A download is scanned as it is verified; a package already in the cache is scanned as soon as it is
                // found, while the others still download.
                await _fetcher.FetchAllAsync(missing.Select(i => packages[i]), cancellationToken, (m, fetched) =>
                {
                    var entry = packages[missing[m]];
                    var learned = _learning.TryGetValue(entry.Checksum!.Key, out var scanned) && scanned is not null
                        ? scanned
                        : PackageScanner.Scan(fetched.Path, entry, _keys, _allowUntrusted, _warn);
                    Facts.Put(learned);
                    facts[missing[m]] = learned;
                    Stats.Learned();
                });
            }
            finally
            {
                foreach (var m in missing)
                    _learning.TryRemove(packages[m].Checksum!.Key, out _);
            }
        }
        for (var i = 0; i < packages.Count; i++)
            _entries[facts[i]!.Key] = packages[i];
        return facts!;
    }

    /// <summary>The verified package file, fetched first when the cache does not hold it.</summary>
    public async Task<string> PackagePathAsync(PackageFacts package, CancellationToken cancellationToken = default)
    {
        var entry = _entries.GetValueOrDefault(package.Key)
            ?? throw new InvalidOperationException($"package {package} is not part of any image built here");
        var path = Cache.PackagePath(entry);
        return File.Exists(path) ? path : (await _fetcher.FetchAsync(entry, cancellationToken)).Path;
    }

    public Stream OpenPackageData(PackageFacts package)
    {
        // Without keepPackages another reader may delete the file between the check and the open: fetch it again.
        for (var attempt = 1; ; attempt++)
        {
            var path = PackagePathAsync(package).GetAwaiter().GetResult();
            try
            {
                var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 64 * 1024,
                    _keepPackages ? FileOptions.None : FileOptions.DeleteOnClose);
                return new RangeStream(file, package.DataOffset, package.DataLength);
            }
            catch (FileNotFoundException) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Forgets the index entries of packages no image built here uses any more (their layers are not served).</summary>
    public void ForgetAllBut(IReadOnlySet<string> keys)
    {
        foreach (var key in _entries.Keys)
        {
            if (!keys.Contains(key))
                _entries.TryRemove(key, out _);
        }
    }

    public LayerDigests DerivedLayerDigests(string key, IReadOnlyList<LayerPart> parts)
    {
        if (Facts.TryGetDerived(key) is { } known)
            return known;
        var digests = DerivedLayer.ComputeDigests(parts, OpenPackageData);
        Facts.PutDerived(key, digests);
        return digests;
    }

    public void Dispose() => _transport.Dispose();
}
