using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Pkg2d.Oci;

namespace Pkg2d.Serve;

/// <summary>
/// Blobs materialised as files <c>&lt;dir&gt;/sha256/&lt;hex&gt;</c>, produced on first use and kept within a size
/// limit by evicting the least recently used files that nobody is reading.
/// </summary>
/// <remarks>
/// A blob is copied from <see cref="IBlob.Open"/> through <see cref="BlobCopy.CopyVerifiedAsync"/> into a temp file,
/// synced and renamed into place, so a file under <c>sha256/</c> is always complete and verified. Concurrent requests
/// for one digest share one production (one Open, one download). Readers wait until the whole blob is produced
/// rather than streaming it while it downloads: simpler, and nothing is served before its digest was checked.
/// A failed production fails the requests waiting for it and leaves no entry, so the next request tries again.
/// Files found in the directory at start-up were verified when written and are used as they are.
/// </remarks>
public sealed class BlobCache
{
    private readonly object _lock = new();
    private readonly Dictionary<Digest, Entry> _entries = [];
    private readonly ILogger _logger;
    private readonly string _blobDirectory;
    private readonly string _tempDirectory;
    private long _clock;
    private long _usedBytes;

    /// <summary>A cached or in-production blob. Mutable fields are guarded by the cache's lock.</summary>
    internal sealed class Entry(Digest digest, long size)
    {
        public Digest Digest { get; } = digest;
        public long Size { get; } = size;
        public Task? Production;
        public int Readers;

        /// <summary>Callers waiting for the production: like readers, they keep the finished file from eviction.</summary>
        public int Waiters;
        public long LastUse;
    }

    public BlobCache(string directory, long maxBytes, ILogger<BlobCache>? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        Directory = Path.GetFullPath(directory);
        MaxBytes = maxBytes;
        _logger = logger ?? NullLogger<BlobCache>.Instance;
        _blobDirectory = Path.Combine(Directory, Digest.Algorithm);
        _tempDirectory = Path.Combine(Directory, "tmp");
        System.IO.Directory.CreateDirectory(_blobDirectory);
        if (System.IO.Directory.Exists(_tempDirectory))
            System.IO.Directory.Delete(_tempDirectory, recursive: true); // leftovers of an interrupted run
        System.IO.Directory.CreateDirectory(_tempDirectory);
        AdoptExistingFiles();
    }

    public string Directory { get; }

    /// <summary>The most bytes of blob files kept; a single larger blob is still produced and kept while it is read.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes of the cached files plus those being produced.</summary>
    public long UsedBytes
    {
        get
        {
            lock (_lock)
                return _usedBytes;
        }
    }

    /// <summary>Whether a complete file for the digest is in the cache now.</summary>
    public bool Contains(Digest digest)
    {
        lock (_lock)
            return _entries.TryGetValue(digest, out var entry) && entry.Production is null;
    }

    public string PathOf(Digest digest) => Path.Combine(_blobDirectory, digest.Hex);

    /// <summary>
    /// The blob's file, produced first when needed, opened for reading and protected from eviction until the
    /// lease is disposed. Cancelling stops this caller's wait only: a production others may share goes on.
    /// </summary>
    /// <exception cref="BlobVerificationException">The produced bytes did not match the descriptor.</exception>
    public async Task<BlobLease> AcquireAsync(IBlob blob, CancellationToken cancellationToken = default)
    {
        var descriptor = blob.Descriptor;
        Entry? waitedFor = null;
        while (true)
        {
            Task production;
            Entry? ready = null;
            lock (_lock)
            {
                // Released under the same lock that takes the lease: no eviction can slip in between.
                if (waitedFor is not null)
                    waitedFor.Waiters--;
                waitedFor = null;
                if (!_entries.TryGetValue(descriptor.Digest, out var entry))
                    (production, waitedFor) = StartProduction(blob);
                else if (entry.Production is { } running)
                    (production, waitedFor) = (running, entry);
                else if (entry.Size != descriptor.Size)
                {
                    // Only a file adopted at start-up can disagree: a digest has one size. Replace it.
                    _logger.LogWarning("Cached blob {Digest} has {Actual} bytes instead of {Expected}; producing it again",
                        descriptor.Digest, entry.Size, descriptor.Size);
                    RemoveLocked(entry);
                    (production, waitedFor) = StartProduction(blob);
                }
                else
                {
                    entry.Readers++;
                    entry.LastUse = ++_clock;
                    ready = entry;
                    production = Task.CompletedTask;
                }
                if (waitedFor is not null)
                    waitedFor.Waiters++;
            }
            if (ready is not null)
                return Open(ready);
            try
            {
                await production.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_lock)
                    waitedFor!.Waiters--;
                throw;
            }
        }
    }

    private BlobLease Open(Entry entry)
    {
        try
        {
            var handle = File.OpenHandle(PathOf(entry.Digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
            return new BlobLease(this, entry, handle);
        }
        catch
        {
            Release(entry);
            throw;
        }
    }

    internal void Release(Entry entry)
    {
        lock (_lock)
        {
            entry.Readers--;
            entry.LastUse = ++_clock;
            EvictLocked();
        }
    }

    /// <summary>Registers the entry, making room for it first, and starts producing it off the caller's thread.</summary>
    private (Task Production, Entry Entry) StartProduction(IBlob blob)
    {
        var entry = new Entry(blob.Descriptor.Digest, blob.Descriptor.Size) { LastUse = ++_clock };
        _entries[entry.Digest] = entry;
        _usedBytes += entry.Size;
        entry.Production = Task.Run(() => ProduceAsync(blob, entry));
        EvictLocked();
        return (entry.Production, entry);
    }

    private async Task ProduceAsync(IBlob blob, Entry entry)
    {
        var temp = Path.Combine(_tempDirectory, $"{entry.Digest.Hex}.{Guid.NewGuid():N}");
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
            {
                // Not cancellable: other readers may be waiting for this blob.
                await BlobCopy.CopyVerifiedAsync(blob, file).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, PathOf(entry.Digest), overwrite: true);
        }
        catch
        {
            lock (_lock)
            {
                entry.Production = null;
                RemoveLocked(entry);
            }
            TryDelete(temp);
            throw;
        }
        lock (_lock)
        {
            entry.Production = null;
            entry.LastUse = ++_clock;
            EvictLocked();
        }
        _logger.LogInformation("Materialised blob {Digest} ({MediaType}, {Size} bytes) in {Elapsed:F1} s",
            entry.Digest, blob.Descriptor.MediaType, entry.Size, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// Deletes the files of every blob that <paramref name="referenced"/> says no image references any more (garbage
    /// collection); blobs being produced, read or awaited stay. Returns how many files and bytes went.
    /// </summary>
    public (int Files, long Bytes) RemoveUnreferenced(Func<Digest, bool> referenced)
    {
        var (files, bytes) = (0, 0L);
        lock (_lock)
        {
            foreach (var entry in _entries.Values.Where(e => e.Production is null && e.Readers == 0 && e.Waiters == 0 && !referenced(e.Digest)).ToList())
            {
                RemoveLocked(entry);
                if (TryDelete(PathOf(entry.Digest)))
                    (files, bytes) = (files + 1, bytes + entry.Size);
            }
        }
        return (files, bytes);
    }

    /// <summary>Deletes least recently used files that are complete, not open and not awaited, until the cache fits its limit.</summary>
    private void EvictLocked()
    {
        if (_usedBytes <= MaxBytes)
            return;
        var candidates = _entries.Values.Where(e => e.Production is null && e.Readers == 0 && e.Waiters == 0).OrderBy(e => e.LastUse).ToList();
        foreach (var entry in candidates)
        {
            if (_usedBytes <= MaxBytes)
                break;
            RemoveLocked(entry);
            if (TryDelete(PathOf(entry.Digest)))
                _logger.LogDebug("Evicted blob {Digest} ({Size} bytes)", entry.Digest, entry.Size);
        }
    }

    private bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning("Could not delete {Path}: {Reason}", path, e.Message);
            return false;
        }
    }

    private void RemoveLocked(Entry entry)
    {
        if (_entries.TryGetValue(entry.Digest, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(entry.Digest);
            _usedBytes -= entry.Size;
        }
    }

    /// <summary>Takes over the files a previous run left, oldest use first, then trims to the limit.</summary>
    private void AdoptExistingFiles()
    {
        var files = new DirectoryInfo(_blobDirectory).EnumerateFiles()
            .Where(f => Digest.TryParse($"{Digest.Algorithm}:{f.Name}", out _))
            .OrderBy(f => f.LastAccessTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var file in files)
            {
                var entry = new Entry(Digest.FromHex(file.Name), file.Length) { LastUse = ++_clock };
                _entries[entry.Digest] = entry;
                _usedBytes += entry.Size;
            }
            EvictLocked();
        }
    }
}

/// <summary>An open, complete blob file in a <see cref="BlobCache"/>; it is not evicted until disposed.</summary>
public sealed class BlobLease : IDisposable
{
    private readonly BlobCache _cache;
    private readonly BlobCache.Entry _entry;
    private int _disposed;

    internal BlobLease(BlobCache cache, BlobCache.Entry entry, SafeFileHandle handle)
    {
        _cache = cache;
        _entry = entry;
        Handle = handle;
    }

    public Digest Digest => _entry.Digest;

    public long Length => _entry.Size;

    public SafeFileHandle Handle { get; }

    public ValueTask<int> ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        RandomAccess.ReadAsync(Handle, buffer, offset, cancellationToken);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Handle.Dispose();
        _cache.Release(_entry);
    }
}
