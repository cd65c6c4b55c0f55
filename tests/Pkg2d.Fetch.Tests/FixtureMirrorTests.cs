using Pkg2d.Apk.Verification;
using Pkg2d.Testing;

namespace Pkg2d.Fetch.Tests;

/// <summary>The real Alpine v3.7 armhf mirror fixture, served over real HTTP from 127.0.0.1.</summary>
public sealed class FixtureMirrorTests : IDisposable
{
    private const string Busybox = "armhf/busybox-1.27.2-r7.apk";
    private static readonly TransportOptions FastRetries = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ReadTimeout = TimeSpan.FromSeconds(5),
        Retries = 2,
        RetryDelay = TimeSpan.FromMilliseconds(20),
    };

    private readonly TempDirectory _cache = new();
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var disposable in Enumerable.Reverse(_disposables))
            disposable.Dispose();
        _cache.Dispose();
    }

    [FixtureFact]
    public async Task AlpineBaseClosure_IsDownloadedVerifiedAndThenReusedFromTheCache()
    {
        var mirror = Mirror();
        using var source = await Open(mirror.Url);
        var closure = source.Resolve(["alpine-base"]).Packages;

        var fetched = await source.FetchAsync(closure);

        Assert.Equal(16, fetched.Count);
        Assert.Equal(closure, fetched.Select(f => f.Entry));
        foreach (var package in fetched)
        {
            Assert.True(package.Downloaded);
            Assert.Equal(Path.Combine(_cache.Path, "packages", package.Entry.Checksum!.Key + ".apk"), package.Path);
            Assert.Equal(package.Entry.Size, new FileInfo(package.Path).Length);
            Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.MirrorBase, "armhf", package.Entry.FileName)), File.ReadAllBytes(package.Path));
            Assert.Equal(1, mirror.RequestsFor("armhf/" + package.Entry.FileName));
        }
        Assert.Equal(16, Directory.GetFiles(Path.Combine(_cache.Path, "packages")).Length);

        mirror.ResetCounts();
        using var again = await Open(mirror.Url);
        var second = await again.FetchAsync(again.Resolve(["alpine-base"]).Packages);

        Assert.All(second, p => Assert.False(p.Downloaded));
        Assert.Equal(["armhf/APKINDEX.tar.gz"], mirror.Requests.Keys);
    }

    [FixtureFact]
    public async Task ConcurrentRequestsForOnePackage_ShareOneDownload()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.Slow(TimeSpan.FromMilliseconds(1)));
        // No retries: a second request can only come from a second download.
        using var source = await ApkSource.OpenAsync(Options(mirror.Url) with { Transport = new TransportOptions { Retries = 0 } });
        var busybox = Entry(source, "busybox");

        var fetched = await source.FetchAsync([busybox, busybox, busybox]);

        Assert.Equal(1, mirror.RequestsFor(Busybox));
        Assert.Single(fetched.Select(f => f.Path).Distinct());
    }

    [FixtureFact]
    public async Task ACallerThatGivesUp_DoesNotCancelAnotherWaitingForTheSamePackage()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.Slow(TimeSpan.FromMilliseconds(20)));
        using var source = await Open(mirror.Url);
        using var giveUp = new CancellationTokenSource();

        var first = source.FetchAsync([Entry(source, "busybox")], giveUp.Token);
        var second = source.FetchAsync([Entry(source, "busybox")]);
        await Task.Delay(200);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        var fetched = Assert.Single(await second);
        Assert.Equal(Entry(source, "busybox").Size, new FileInfo(fetched.Path).Length);
        Assert.Equal(1, mirror.RequestsFor(Busybox));
    }

    [FixtureFact]
    public async Task DroppedConnection_IsRetried()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.DropAfter(10_000, times: 1));
        using var source = await Open(mirror.Url);

        var fetched = Assert.Single(await source.FetchAsync([Entry(source, "busybox")]));

        Assert.True(fetched.Downloaded);
        Assert.Equal(2, mirror.RequestsFor(Busybox));
        Assert.Equal(fetched.Entry.Size, new FileInfo(fetched.Path).Length);
    }

    [FixtureFact]
    public async Task ServerErrorAndStalledResponse_AreRetried()
    {
        var mirror = Mirror();
        mirror.Inject("armhf/musl-1.1.18-r2.apk", MirrorFault.ServerError(times: 1));
        mirror.Inject(Busybox, MirrorFault.Stall(1000, TimeSpan.FromSeconds(10), times: 1));
        using var source = await ApkSource.OpenAsync(
            Options(mirror.Url) with { Transport = FastRetries with { ReadTimeout = TimeSpan.FromMilliseconds(300) } });

        var fetched = await source.FetchAsync([Entry(source, "musl"), Entry(source, "busybox")]);

        Assert.All(fetched, f => Assert.True(f.Downloaded));
        Assert.Equal(2, mirror.RequestsFor("armhf/musl-1.1.18-r2.apk"));
        Assert.Equal(2, mirror.RequestsFor(Busybox));
    }

    [FixtureFact]
    public async Task NotFound_IsNotRetried_AndTheErrorNamesPackageAndUrl()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.NotFound());
        using var source = await Open(mirror.Url);

        var e = await Assert.ThrowsAsync<FetchException>(() => source.FetchAsync([Entry(source, "busybox")]));

        Assert.True(e.IsNotFound);
        Assert.Contains("busybox-1.27.2-r7", e.Message);
        Assert.Contains(mirror.UrlOf(Busybox), e.Message);
        Assert.Equal(1, mirror.RequestsFor(Busybox));
        AssertCacheHasNoPackages();
    }

    [FixtureFact]
    public async Task NotFoundOnTheFirstMirror_UsesTheNextMirror()
    {
        var first = Mirror();
        var second = Mirror();
        first.Inject(Busybox, MirrorFault.NotFound());
        using var source = await Open($"{first.Url} {second.Url}");

        var fetched = Assert.Single(await source.FetchAsync([Entry(source, "busybox")]));

        Assert.True(fetched.Downloaded);
        Assert.Equal(1, first.RequestsFor(Busybox));
        Assert.Equal(1, second.RequestsFor(Busybox));
        Assert.Equal(0, second.RequestsFor("armhf/APKINDEX.tar.gz"));
    }

    [FixtureFact]
    public async Task UnreachableFirstMirror_LoadsTheIndexFromTheNext()
    {
        var second = Mirror();
        var down = Mirror();
        var downUrl = down.Url;
        down.Dispose();
        using var source = await Open($"{downUrl} {second.Url}");

        Assert.Equal(second.Url + "/armhf", source.Repositories.Repositories[0].PackageFolders[0]);
        Assert.Single(await source.FetchAsync([Entry(source, "musl")]));
    }

    [FixtureFact]
    public async Task TruncatedPackage_IsRejectedForSize_AndLeavesNothingInTheCache()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.Truncate(50_000));
        using var source = await Open(mirror.Url);

        var e = await Assert.ThrowsAsync<PackageVerificationException>(() => source.FetchAsync([Entry(source, "busybox")]));

        Assert.Equal("busybox-1.27.2-r7", e.Package);
        Assert.Equal(mirror.Url + "/armhf", e.Repository);
        Assert.Equal("size", e.Check);
        AssertCacheHasNoPackages();
    }

    [FixtureFact]
    public async Task CorruptedPackage_IsRejected_AndLeavesNothingInTheCache()
    {
        var mirror = Mirror();
        mirror.Inject(Busybox, MirrorFault.Corrupt(-2000));
        using var source = await Open(mirror.Url);

        var e = await Assert.ThrowsAsync<PackageVerificationException>(
            () => source.FetchAsync([Entry(source, "musl"), Entry(source, "busybox")]));

        Assert.Equal("busybox-1.27.2-r7", e.Package);
        Assert.Equal(mirror.Url + "/armhf", e.Repository);
        Assert.Equal("datahash", e.Check);
        Assert.Contains("busybox-1.27.2-r7", e.Message);
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(_cache.Path, "packages")), f => Path.GetFileName(f).StartsWith(".tmp", StringComparison.Ordinal));
        Assert.DoesNotContain(Entry(source, "busybox").Checksum!.Key + ".apk", Directory.GetFiles(Path.Combine(_cache.Path, "packages")).Select(Path.GetFileName));
    }

    [FixtureFact]
    public async Task ArchWithoutIndex_IsAnErrorNamingRepositoryAndArch()
    {
        var mirror = Mirror();

        var e = await Assert.ThrowsAsync<RepositoryException>(() => Open(mirror.Url, arch: "x86_64"));

        Assert.Contains(mirror.Url, e.Message);
        Assert.Contains("x86_64", e.Message);
        Assert.Contains("no index", e.Message);
    }

    [FixtureFact]
    public async Task CachedIndex_IsUsedWhenTheMirrorFails_AndOffline()
    {
        var mirror = Mirror();
        using (await Open(mirror.Url))
        {
        }
        var indexes = Directory.GetFiles(Path.Combine(_cache.Path, "indexes"));
        Assert.Single(indexes);

        mirror.Inject("armhf/APKINDEX.tar.gz", MirrorFault.ServerError());
        var warnings = new List<string>();
        using (var source = await ApkSource.OpenAsync(Options(mirror.Url), warnings.Add))
        {
            Assert.Equal(5648, source.Packages.Count());
            Assert.Contains(warnings, w => w.Contains("cached copy", StringComparison.Ordinal) && w.Contains(mirror.UrlOf("armhf/APKINDEX.tar.gz"), StringComparison.Ordinal));
        }

        mirror.ResetCounts();
        using (var offline = await ApkSource.OpenAsync(Options(mirror.Url) with { Offline = true }))
            Assert.Equal(5648, offline.Packages.Count());
        Assert.Equal(0, mirror.TotalRequests);
    }

    [FixtureFact]
    public async Task CachedIndex_IsDownloadedAgainOnlyWhenTheMirrorSaysItChanged()
    {
        var mirror = Mirror();
        using (await Open(mirror.Url))
        {
        }
        Assert.Equal(0, mirror.NotModifiedFor("armhf/APKINDEX.tar.gz"));

        using (var again = await Open(mirror.Url))
            Assert.Equal(16, again.Resolve(["alpine-base"]).Packages.Count);
        Assert.Equal((2, 1), (mirror.RequestsFor("armhf/APKINDEX.tar.gz"), mirror.NotModifiedFor("armhf/APKINDEX.tar.gz")));

        // A kept copy damaged on disk is never trusted: the unchanged index is downloaded whole again.
        var cached = Assert.Single(Directory.GetFiles(Path.Combine(_cache.Path, "indexes")));
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(cached, bytes);
        File.SetLastWriteTimeUtc(cached, DateTime.UtcNow.AddDays(1));
        var warnings = new List<string>();
        using (var repaired = await ApkSource.OpenAsync(Options(mirror.Url), warnings.Add))
            Assert.Equal(16, repaired.Resolve(["alpine-base"]).Packages.Count);
        Assert.Equal((4, 2), (mirror.RequestsFor("armhf/APKINDEX.tar.gz"), mirror.NotModifiedFor("armhf/APKINDEX.tar.gz")));
        Assert.Contains(warnings, w => w.Contains("downloading it again"));
    }

    [FixtureFact]
    public async Task CachedIndex_IsReverifiedWhenUsed()
    {
        var mirror = Mirror();
        using (await Open(mirror.Url))
        {
        }
        var cached = Assert.Single(Directory.GetFiles(Path.Combine(_cache.Path, "indexes")));
        var bytes = File.ReadAllBytes(cached);
        bytes[bytes.Length / 2] ^= 0xff;
        File.WriteAllBytes(cached, bytes);

        await Assert.ThrowsAnyAsync<Pkg2d.Apk.ApkFormatException>(() => ApkSource.OpenAsync(Options(mirror.Url) with { Offline = true }));
    }

    [FixtureTheory]
    [InlineData("file://")]
    [InlineData("")]
    public async Task LocalRepositories_AreReadInPlace(string prefix)
    {
        using var source = await ApkSource.OpenAsync(Options(prefix + Fixtures.MirrorBase));
        var musl = Entry(source, "musl");

        var fetched = Assert.Single(await source.FetchAsync([musl]));

        Assert.Equal(Path.Combine(Fixtures.MirrorBase, "armhf"), musl.Repository);
        Assert.True(fetched.Downloaded);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Fixtures.MirrorBase, "armhf", musl.FileName)), File.ReadAllBytes(fetched.Path));
        Assert.Empty(Directory.GetFiles(Path.Combine(_cache.Path, "indexes")));
    }

    [FixtureFact]
    public async Task DirectIndexUrl_ResolvesPackagesAgainstItsFolder()
    {
        var mirror = Mirror();
        using var source = await Open(mirror.UrlOf("armhf/APKINDEX.tar.gz"), arch: "x86_64");
        var zlib = Entry(source, "zlib");

        var fetched = Assert.Single(await source.FetchAsync([zlib]));

        Assert.Equal(mirror.Url + "/armhf", zlib.Repository);
        Assert.Equal(1, mirror.RequestsFor("armhf/" + zlib.FileName));
        Assert.True(File.Exists(fetched.Path));
    }

    private LoopbackMirror Mirror()
    {
        var mirror = new LoopbackMirror(Fixtures.MirrorBase);
        _disposables.Add(mirror);
        return mirror;
    }

    private RepositoryOptions Options(string repository, string arch = "armhf") => new()
    {
        Repositories = [repository],
        Arch = arch,
        CacheDir = _cache.Path,
        KeysDirs = [Fixtures.KeysDir],
        Transport = FastRetries,
        Progress = TextWriter.Null,
    };

    private Task<ApkSource> Open(string repository, string arch = "armhf") => ApkSource.OpenAsync(Options(repository, arch));

    private static Pkg2d.Apk.Index.ApkIndexEntry Entry(ApkSource source, string name) => source.Packages.Single(p => p.Name == name);

    private void AssertCacheHasNoPackages() => Assert.Empty(Directory.GetFiles(Path.Combine(_cache.Path, "packages")));
}
