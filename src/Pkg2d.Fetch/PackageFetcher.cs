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
/// <param name="verify">
/// Checks a downloaded package in place of <see cref="PackageVerifier.Verify"/>, for a caller that reads the whole
/// package anyway: it must verify at least as much and throw as that does (PackageScanner's pass does both).
/// </param>
public sealed class PackageFetcher(
    PackageCache cache, RepositoryTransport transport, TrustedKeys keys,
    Func<ApkIndexEntry, IReadOnlyList<string>>? locationsOf = null,
    bool allowUntrusted = false, int maxConcurrentDownloads = 4,
    TextWriter? progress = null, Action<string>? warn = null,
    Action<Stream, ApkIndexEntry>? verify = null)
{
    private readonly SemaphoreSlim _slots = new(Math.Max(1, maxConcurrentDownloads));
    private readonly Dictionary<string, SharedDownload> _inflight = new(StringComparer.Ordinal);
    private readonly Lock _inflightLock = new();
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
    /// <param name="then">
    /// Run on each package (with its position) as soon as it is in the cache, off the caller's thread, while the
    /// others download: work on a package overlaps the downloads of the rest. A failure there fails the batch too.
    /// </param>
    public async Task<IReadOnlyList<FetchedPackage>> FetchAllAsync(IEnumerable<ApkIndexEntry> entries, CancellationToken cancellationToken = default,
        Action<int, FetchedPackage>? then = null)
    {
        var list = entries.ToArray();
        var batch = new DownloadProgress(progress);
        using var failFast = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = list.Select(async (entry, i) =>
        {
            try
            {
                var fetched = await FetchAsync(entry, batch, failFast.Token);
                if (then is not null)
                    await Task.Run(() => then(i, fetched), failFast.Token);
                return fetched;
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

        // One download per package, whoever asks. A caller that gives up only stops waiting; the download is
        // cancelled when the last one waiting for it gives up (a failed batch must not fail another caller).
        SharedDownload shared;
        lock (_inflightLock)
        {
            if (!_inflight.TryGetValue(key, out shared!))
            {
                shared = new SharedDownload();
                _inflight[key] = shared;
                shared.Task = RunSharedAsync(shared, entry, key, path, batch);
            }
            shared.Waiters++;
        }
        var left = false;
        try
        {
            return await shared.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            left = true;
            if (Leave(shared))
            {
                // The last one out stops the download and waits for it to clean up its temporary file.
                await shared.Cancellation.CancelAsync();
                await shared.Task.ContinueWith(_ => { }, TaskScheduler.Default);
            }
            throw;
        }
        finally
        {
            if (!left)
                Leave(shared);
        }
    }

    /// <summary>One caller stops waiting; true when it was the last.</summary>
    private bool Leave(SharedDownload shared)
    {
        lock (_inflightLock)
            return --shared.Waiters == 0;
    }

    private async Task<FetchedPackage> RunSharedAsync(SharedDownload shared, ApkIndexEntry entry, string key, string path, DownloadProgress batch)
    {
        await Task.Yield(); // registered before it runs
        try
        {
            return await DownloadAsync(entry, key, path, batch, shared.Cancellation.Token);
        }
        finally
        {
            lock (_inflightLock)
            {
                if (_inflight.GetValueOrDefault(key) == shared)
                    _inflight.Remove(key);
            }
        }
    }

    /// <summary>A download shared by everyone who asked for the package while it runs.</summary>
    private sealed class SharedDownload
    {
        public Task<FetchedPackage> Task { get; set; } = null!;
        public CancellationTokenSource Cancellation { get; } = new();
        public int Waiters { get; set; }
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
            // Someone may have emptied the cache under a running daemon: the folder comes back rather than every download failing.
            Directory.CreateDirectory(cache.PackagesDir);
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
                if (verify is null)
                    PackageVerifier.Verify(file, entry, keys, allowUntrusted, warn);
                else
                    verify(file, entry);
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
