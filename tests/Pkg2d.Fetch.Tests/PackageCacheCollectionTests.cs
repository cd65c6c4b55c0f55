using System.Security.Cryptography;
using System.Text;
using Pkg2d.Testing;

namespace Pkg2d.Fetch.Tests;

/// <summary>Garbage collection of the download cache: package files no image needs, and indexes of repositories no longer configured.</summary>
public sealed class PackageCacheCollectionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
            disposable.Dispose();
        _dir.Dispose();
    }

    private string CacheRoot => _dir.Combine("cache");

    /// <summary>A key of the form the cache names package files by (<c>q1-</c> and the SHA-1 in hex).</summary>
    private static string KeyFor(string name) => "q1-" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(name)));

    private static string Write(string path, int size)
    {
        File.WriteAllBytes(path, new byte[size]);
        return path;
    }

    private static string[] FileNames(string folder) =>
        [.. Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    [Fact]
    public void RemovePackagesExcept_DeletesOnlyTheApkFilesWhoseKeyIsNotKept()
    {
        var cache = new PackageCache(CacheRoot);
        var (kept1, kept2, gone1, gone2) = (KeyFor("kept-1"), KeyFor("kept-2"), KeyFor("gone-1"), KeyFor("gone-2"));
        Write(Path.Combine(cache.PackagesDir, kept1 + ".apk"), 100);
        Write(Path.Combine(cache.PackagesDir, kept2 + ".apk"), 200);
        Write(Path.Combine(cache.PackagesDir, gone1 + ".apk"), 1_000);
        Write(Path.Combine(cache.PackagesDir, gone2 + ".apk"), 3_000);
        // Not package files: left as they are.
        Write(Path.Combine(cache.PackagesDir, gone1 + ".part"), 10);
        Write(Path.Combine(cache.PackagesDir, "README"), 10);

        var (files, bytes) = cache.RemovePackagesExcept(new HashSet<string> { kept1, kept2, KeyFor("never-cached") });

        Assert.Equal(2, files);
        Assert.Equal(4_000, bytes);
        Assert.Equal(new[] { kept1 + ".apk", kept2 + ".apk", gone1 + ".part", "README" }.Order(StringComparer.Ordinal), FileNames(cache.PackagesDir));

        // Nothing more to remove with the same keys; everything but the kept ones with none.
        Assert.Equal((0, 0L), cache.RemovePackagesExcept(new HashSet<string> { kept1, kept2 }));
        Assert.Equal((1, 100L), cache.RemovePackagesExcept(new HashSet<string> { kept2 }));
        Assert.Equal((1, 200L), cache.RemovePackagesExcept(new HashSet<string>()));
        Assert.Equal(new[] { gone1 + ".part", "README" }.Order(StringComparer.Ordinal), FileNames(cache.PackagesDir));
    }

    [Fact]
    public void RemovePackagesExcept_LeavesDownloadsInProgressAlone()
    {
        var cache = new PackageCache(CacheRoot);
        var key = KeyFor("downloading");
        var temp = Write(PackageCache.TempPath(cache.PackagesDir, key), 500);
        // A temp file that happens to end like a package file is still a download in progress.
        var tempApk = Write(Path.Combine(cache.PackagesDir, $".tmp-{key}.apk"), 700);
        var stale = Write(Path.Combine(cache.PackagesDir, key + ".apk"), 900);

        Assert.Equal((1, 900L), cache.RemovePackagesExcept(new HashSet<string>()));

        Assert.True(File.Exists(temp));
        Assert.True(File.Exists(tempApk));
        Assert.False(File.Exists(stale));
    }

    [FixtureFact]
    public async Task RemovePackagesExcept_OnRealDownloads_CountsTheirBytes_AndWhatWentIsDownloadedAgain()
    {
        var mirror = new LoopbackMirror(Fixtures.MirrorBase);
        _disposables.Add(mirror);
        IReadOnlyList<Apk.Index.ApkIndexEntry> closure;
        using (var source = await Open(mirror.Url))
        {
            closure = source.Resolve(["alpine-base"]).Packages;
            await source.FetchAsync(closure);
        }
        Assert.Equal(16, closure.Count);
        var cache = new PackageCache(CacheRoot);
        var kept = closure.Where((_, i) => i % 2 == 0).ToArray();
        var gone = closure.Except(kept).ToArray();

        var (files, bytes) = cache.RemovePackagesExcept(kept.Select(e => e.Checksum!.Key).ToHashSet(StringComparer.Ordinal));

        Assert.Equal(gone.Length, files);
        Assert.Equal(gone.Sum(e => e.Size), bytes);
        Assert.All(kept, e => Assert.True(File.Exists(cache.PackagePath(e)), e.ToString()));
        Assert.All(gone, e => Assert.False(File.Exists(cache.PackagePath(e)), e.ToString()));

        mirror.ResetCounts();
        using var again = await Open(mirror.Url);
        var fetched = await again.FetchAsync(closure);
        Assert.Equal(gone.Select(e => e.ToString()).Order(StringComparer.Ordinal),
            fetched.Where(f => f.Downloaded).Select(f => f.Entry.ToString()).Order(StringComparer.Ordinal));
        Assert.All(gone, e => Assert.Equal(1, mirror.RequestsFor("armhf/" + e.FileName)));
        Assert.All(kept, e => Assert.Equal(0, mirror.RequestsFor("armhf/" + e.FileName)));
        Assert.All(fetched, f => Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.MirrorBase, "armhf", f.Entry.FileName)), File.ReadAllBytes(f.Path)));
    }

    [Fact]
    public void RemoveIndexesExcept_DeletesTheCopiesAndSnapshotsOfOtherLocations()
    {
        var cache = new PackageCache(CacheRoot);
        const string Kept = "https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz";
        const string KeptLocal = "/srv/alpine/local/x86_64/APKINDEX.tar.gz";
        const string Old = "https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64/APKINDEX.tar.gz";
        const string OtherMirror = "https://mirror.example.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz";
        foreach (var location in new[] { Kept, Old, OtherMirror })
            Write(cache.IndexPath(location), 64);
        foreach (var location in new[] { Kept, KeptLocal, Old, OtherMirror })
            Write(cache.IndexSnapshotPath(location), 32);
        var stray = Write(Path.Combine(cache.IndexesDir, "0123456789abcdef01234567-APKINDEX.tar.gz"), 16);

        var removed = cache.RemoveIndexesExcept([Kept, KeptLocal]);

        // Old and OtherMirror: a copy and a snapshot each; and the stray copy.
        Assert.Equal(5, removed);
        Assert.True(File.Exists(cache.IndexPath(Kept)));
        Assert.True(File.Exists(cache.IndexSnapshotPath(Kept)));
        Assert.True(File.Exists(cache.IndexSnapshotPath(KeptLocal)));
        foreach (var location in new[] { Old, OtherMirror })
        {
            Assert.False(File.Exists(cache.IndexPath(location)), location);
            Assert.False(File.Exists(cache.IndexSnapshotPath(location)), location);
        }
        Assert.False(File.Exists(stray));
        Assert.Equal([Path.GetFileName(cache.IndexPath(Kept))], FileNames(cache.IndexesDir));
        Assert.Equal(new[] { cache.IndexSnapshotPath(Kept), cache.IndexSnapshotPath(KeptLocal) }.Select(Path.GetFileName).Order(StringComparer.Ordinal),
            FileNames(cache.SnapshotsDir));
        Assert.True(Directory.Exists(cache.SnapshotsDir));

        Assert.Equal(0, cache.RemoveIndexesExcept([Kept, KeptLocal]));
    }

    [Fact]
    public void RemoveIndexesExcept_WithNoLocation_DeletesEveryIndexButTempFiles()
    {
        var cache = new PackageCache(CacheRoot);
        const string Location = "https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64/APKINDEX.tar.gz";
        Write(cache.IndexPath(Location), 64);
        Write(cache.IndexSnapshotPath(Location), 32);
        var indexTemp = Write(PackageCache.TempPath(cache.IndexesDir, "index"), 8);
        var snapshotTemp = Write(PackageCache.TempPath(cache.SnapshotsDir, "snapshot"), 8);

        Assert.Equal(2, cache.RemoveIndexesExcept([]));

        Assert.False(File.Exists(cache.IndexPath(Location)));
        Assert.False(File.Exists(cache.IndexSnapshotPath(Location)));
        Assert.True(File.Exists(indexTemp));
        Assert.True(File.Exists(snapshotTemp));
    }

    [FixtureFact]
    public async Task RemoveIndexesExcept_KeepsWhatTheLoaderWroteForTheConfiguredMirror_AndItIsUsedAgain()
    {
        var mirror = new LoopbackMirror(Fixtures.MirrorBase);
        _disposables.Add(mirror);
        string location;
        using (var source = await Open(mirror.Url))
            location = Assert.Single(source.Repositories.Repositories).IndexLocation;
        var cache = new PackageCache(CacheRoot);
        Assert.True(File.Exists(cache.IndexPath(location)));
        Assert.True(File.Exists(cache.IndexSnapshotPath(location)));
        const string Forgotten = "http://127.0.0.1:1/alpine/v3.6/main/armhf/APKINDEX.tar.gz";
        File.Copy(cache.IndexPath(location), cache.IndexPath(Forgotten));
        File.Copy(cache.IndexSnapshotPath(location), cache.IndexSnapshotPath(Forgotten));

        Assert.Equal(2, cache.RemoveIndexesExcept([location]));

        Assert.False(File.Exists(cache.IndexPath(Forgotten)));
        Assert.False(File.Exists(cache.IndexSnapshotPath(Forgotten)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.MirrorBase, "armhf", "APKINDEX.tar.gz")), File.ReadAllBytes(cache.IndexPath(location)));
        // The kept copy still answers when the mirror is asked whether it changed.
        mirror.ResetCounts();
        using var again = await Open(mirror.Url);
        Assert.Equal(5_648, again.Packages.Count());
        Assert.Equal(1, mirror.NotModifiedFor("armhf/APKINDEX.tar.gz"));
    }

    private async Task<ApkSource> Open(string repository)
    {
        var source = await ApkSource.OpenAsync(new RepositoryOptions
        {
            Repositories = [repository],
            Arch = "armhf",
            CacheDir = CacheRoot,
            KeysDirs = [Fixtures.KeysDir],
            Progress = TextWriter.Null,
        });
        return source;
    }
}
