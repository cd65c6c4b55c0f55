using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;

namespace Pkg2d.Fetch;

/// <summary>A package file in the cache that passed verification.</summary>
public sealed record FetchedPackage(ApkIndexEntry Entry, string Path, bool Downloaded);

/// <summary>
/// Puts verified packages into a <see cref="PackageCache"/>. A download streams into a temp file in the cache folder,
/// is verified (signature, C:, size, datahash) and only then renamed into place; a file that fails is deleted.
/// A package already cached is re-used when its size matches the index: only verified files are ever renamed into
/// `packages/`, and the name is the control checksum, so a full re-check would only guard against the cache itself
/// being changed (a size mismatch means a damaged file: it is fetched again).
/// Concurrent downloads are bounded; concurrent requests for the same package share one download.
/// </summary>
public sealed class PackageFetcher(
    PackageCache cache, RepositoryTransport transport, TrustedKeys keys,
    Func<ApkIndexEntry, IReadOnlyList<string>>? locationsOf = null,
    bool allowUntrusted = false, int maxConcurrentDownloads = 4,
    TextWriter? progress = null, Action<string>? warn = null)
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxConcurrentDownloads));
    private readonly ConcurrentDictionary<string, Lazy<Task<FetchedPackage>>> _inflight = new(StringComparer.Ordinal);
    private readonly Func<ApkIndexEntry, IReadOnlyList<string>> _locationsOf =
        locationsOf ?? (entry => [Location.Combine(entry.Repository, entry.FileName)]);

    public PackageCache Cache => cache;

    /// <summary>The verified cached file of one package, downloading it if needed.</summary>
    public Task<FetchedPackage> FetchAsync(ApkIndexEntry entry, CancellationToken cancellationToken = default) =>
        FetchAsync(entry, new DownloadProgress(null), cancellationToken);

    /// <summary>
    /// Every package, in the order given. The first failure cancels the downloads still running and is thrown
    /// (<see cref="FetchException"/> naming package and URL, or the verifier's PackageVerificationException).
    /// </summary>
    public async Task<IReadOnlyList<FetchedPackage>> FetchAllAsync(IEnumerable<ApkIndexEntry> entries, CancellationToken cancellationToken = default)
    {
        var list = entries.ToArray();
        var batch = new DownloadProgress(progress);
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = list.Select(async entry =>
        {
            try
            {
                return await FetchAsync(entry, batch, failFast.Token);
            }
            catch
            {
                failFast.Cancel();
                throw;
            }
        }).ToArray();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch when (!cancellationToken.IsCancellationRequested)
        {
            var first = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!)
                .FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null)
                ExceptionDispatchInfo.Throw(first);
            throw;
        }
        finally
        {
            batch.Finish();
        }
        return tasks.Select(t => t.Result).ToArray();
    }

    private async Task<FetchedPackage> FetchAsync(ApkIndexEntry entry, DownloadProgress batch, CancellationToken cancellationToken)
    {
        var key = PackageCache.KeyOf(entry);
        var path = cache.PackagePath(entry);
        if (Cached(entry, path))
            return new FetchedPackage(entry, path, Downloaded: false);

        // One download per package, whoever asks; it is not tied to the first caller's cancellation (a batch that
        // gives up must not fail another caller waiting for the same package): each caller only stops waiting.
        Lazy<Task<FetchedPackage>>? download = null;
        download = _inflight.GetOrAdd(key, _ => new Lazy<Task<FetchedPackage>>(async () =>
        {
            try
            {
                return await DownloadAsync(entry, key, path, batch, CancellationToken.None);
            }
            finally
            {
                _inflight.TryRemove(new(key, download!));
            }
        }));
        return await download.Value.WaitAsync(cancellationToken);
    }

    private static bool Cached(ApkIndexEntry entry, string path)
    {
        var file = new FileInfo(path);
        if (!file.Exists)
            return false;
        if (entry.Size <= 0 || file.Length == entry.Size)
            return true;
        file.Delete();
        return false;
    }

    private async Task<FetchedPackage> DownloadAsync(ApkIndexEntry entry, string key, string path, DownloadProgress batch, CancellationToken cancellationToken)
    {
        batch.Expect(entry.Size);
        await _slots.WaitAsync(cancellationToken);
        var temp = PackageCache.TempPath(cache.PackagesDir, key);
        try
        {
            if (Cached(entry, path)) // another process may have finished it while this one waited
            {
                batch.Done();
                return new FetchedPackage(entry, path, Downloaded: false);
            }
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920))
            {
                var locations = _locationsOf(entry);
                try
                {
                    await transport.DownloadAsync(
                        locations, file, entry.Size > 0 ? entry.Size : long.MaxValue, batch.Advance, cancellationToken);
                }
                catch (OversizeException e)
                {
                    throw new PackageVerificationException(entry.ToString(), entry.Repository, "size", e.Message, e);
                }
                catch (FetchException e)
                {
                    throw new FetchException($"package {entry} from {entry.Repository}: {e.Message}", e.Location, e.Status, e);
                }
                file.Position = 0;
                PackageVerifier.Verify(file, entry, keys, allowUntrusted, warn);
            }
            File.Move(temp, path, overwrite: true);
            batch.Done();
            return new FetchedPackage(entry, path, Downloaded: true);
        }
        finally
        {
            File.Delete(temp);
            _slots.Release();
        }
    }
}
