using System.Security.Cryptography;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;

namespace Pkg2d.Fetch;

/// <summary>
/// Loads and verifies the indexes of repositories for one arch, in parallel. Remote indexes are kept under
/// `&lt;cache&gt;/indexes/`, dated with the server's Last-Modified time: a kept index is downloaded again only when the
/// server says it changed (If-Modified-Since), and it is used, re-verified, when the network fails or offline.
/// </summary>
public sealed class IndexLoader(
    RepositoryTransport transport, PackageCache cache, TrustedKeys keys,
    bool allowUntrusted = false, bool offline = false, Action<string>? warn = null)
{
    // An index is tens of MiB at most; anything larger is not an index.
    private const long MaxIndexBytes = 512L << 20;

    private readonly byte[] _keysFingerprint = keys.Fingerprint();
    private readonly List<Task> _snapshotWrites = [];

    /// <summary>
    /// The snapshots of the indexes loaded so far, written beside the work that follows a load (they only save time
    /// on the next load): whoever ends the process waits for this first, so the next load finds them.
    /// </summary>
    public Task SnapshotsWritten
    {
        get
        {
            lock (_snapshotWrites)
                return Task.WhenAll(_snapshotWrites);
        }
    }

    public async Task<RepositorySet> LoadAsync(IReadOnlyList<RepositorySpec> specs, string arch, CancellationToken cancellationToken = default)
    {
        AlpineArch.Validate(arch);
        var loaded = await Task.WhenAll(specs.Select(spec => LoadAsync(spec, arch, cancellationToken)));
        return new RepositorySet(arch, loaded);
    }

    public async Task<LoadedRepository> LoadAsync(RepositorySpec spec, string arch, CancellationToken cancellationToken = default)
    {
        // The package folders of every mirror, starting with the one whose index is read.
        string[] FoldersFrom(int i) =>
            spec.Mirrors.Skip(i).Concat(spec.Mirrors.Take(i)).Select(m => spec.PackageFolder(m, arch)).ToArray();

        var failures = new List<FetchException>();
        for (var i = 0; i < spec.Mirrors.Count; i++)
        {
            var location = spec.IndexLocation(spec.Mirrors[i], arch);
            var folders = FoldersFrom(i);
            try
            {
                var (index, sha256) = Location.IsHttp(location)
                    ? await LoadRemoteAsync(spec, arch, location, folders[0], cancellationToken)
                    : Read(spec, arch, location, location, folders[0]);
                return new LoadedRepository(spec, index, sha256, location, folders);
            }
            catch (FetchException e)
            {
                failures.Add(e);
            }
        }

        // No mirror could be reached: an earlier good copy is better than nothing (but a 404 means there is none).
        for (var i = 0; i < spec.Mirrors.Count; i++)
        {
            var location = spec.IndexLocation(spec.Mirrors[i], arch);
            var cached = cache.IndexPath(location);
            if (Location.IsHttp(location) && File.Exists(cached) && (offline || !failures[i].IsNotFound))
            {
                if (!offline)
                    warn?.Invoke($"{location}: {failures[i].Message}; using the cached copy from {File.GetLastWriteTimeUtc(cached):u}");
                var folders = FoldersFrom(i);
                var (index, sha256) = Read(spec, arch, cached, location, folders[0]);
                return new LoadedRepository(spec, index, sha256, location, folders);
            }
        }

        var what = spec.Kind == RepositoryKind.Base ? $"repository {spec} has no index for arch {arch}" : $"repository {spec} has no index";
        if (offline)
            throw new RepositoryException($"{what} in the cache {cache.IndexesDir} (offline)");
        if (failures.All(f => f.IsNotFound))
            throw new RepositoryException($"{what}: {string.Join(", ", failures.Select(f => f.Location))} not found", failures[^1]);
        throw new RepositoryException(
            $"cannot load the index of repository {spec} for arch {arch}: {string.Join("; ", failures.Select(f => f.Message))}", failures[^1]);
    }

    private async Task<(ApkIndex Index, string Sha256)> LoadRemoteAsync(RepositorySpec spec, string arch, string location, string folder, CancellationToken cancellationToken)
    {
        if (offline)
            throw new FetchException($"{location}: not downloaded (offline)", location);
        var cached = cache.IndexPath(location);
        DateTimeOffset? since = File.Exists(cached) ? File.GetLastWriteTimeUtc(cached) : null;
        var temp = PackageCache.TempPath(cache.IndexesDir, "index");
        try
        {
            RemoteFile remote;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
                remote = await transport.DownloadIfModifiedAsync(location, file, MaxIndexBytes, since, cancellationToken);
            if (!remote.Modified)
            {
                try
                {
                    return Read(spec, arch, cached, location, folder);
                }
                catch (Apk.ApkFormatException e)
                {
                    // The kept copy went bad on disk while the server's is unchanged: fetch it whole again.
                    warn?.Invoke($"{location}: the cached copy {cached} is unusable ({e.Message}); downloading it again");
                    File.Delete(cached);
                    return await LoadRemoteAsync(spec, arch, location, folder, cancellationToken);
                }
            }
            var read = Read(spec, arch, temp, location, folder);
            // Dated as the server dates it, so the next request can ask whether it changed since.
            if (remote.LastModified is { } modified)
                File.SetLastWriteTimeUtc(temp, modified.UtcDateTime);
            File.Move(temp, cached, overwrite: true);
            return read;
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Verifies and parses the index at <paramref name="path"/>, unless the snapshot kept for it was made from the same
    /// bytes with the same keys and options: then that is used, and its warnings said again.
    /// </summary>
    private (ApkIndex Index, string Sha256) Read(RepositorySpec spec, string arch, string path, string source, string folder)
    {
        byte[] bytes;
        byte[] sha256;
        var snapshotPath = cache.IndexSnapshotPath(source);
        try
        {
            // Hashed as a stream first: with a snapshot, the index's bytes are never needed in memory.
            using (var file = File.OpenRead(path))
                sha256 = SHA256.HashData(file);
            var key = IndexSnapshot.Key(sha256, _keysFingerprint, arch, allowUntrusted, spec.Kind, folder, source);
            if (IndexSnapshot.TryRead(snapshotPath, key, folder, source) is { } kept)
            {
                foreach (var warning in kept.Warnings)
                    warn?.Invoke(warning);
                return (kept.Index, Convert.ToHexStringLower(sha256));
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FetchException($"{source}: no such file", source, null, e);
        }
        // Hashed again, so the hash is of the bytes verified even if the file was replaced in between.
        sha256 = SHA256.HashData(bytes);
        var snapshotKey = IndexSnapshot.Key(sha256, _keysFingerprint, arch, allowUntrusted, spec.Kind, folder, source);

        var warnings = new List<string>();
        void Warn(string message)
        {
            warnings.Add(message);
            warn?.Invoke(message);
        }
        using var stream = new MemoryStream(bytes, writable: false);
        // A bad index (signature, format) is an error as it is, never a reason to try another copy.
        var index = spec.Kind == RepositoryKind.IndexText
            ? ApkIndexReader.ReadText(stream, folder, source, allowUntrusted, Warn)
            : ApkIndexReader.ReadSigned(stream, folder, source, keys, allowUntrusted, Warn);
        var write = Task.Run(() =>
        {
            try
            {
                IndexSnapshot.Write(snapshotPath, snapshotKey, index, warnings);
            }
            catch (Exception)
            {
                // A snapshot only saves time on the next load (a read-only cache just goes without); this load has its
                // index, and whoever waits for the writes (ApkSource.Dispose) must not fail for one.
            }
        });
        lock (_snapshotWrites)
            _snapshotWrites.Add(write);
        return (index, Convert.ToHexStringLower(sha256));
    }
}
