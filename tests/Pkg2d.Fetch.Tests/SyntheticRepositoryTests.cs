using System.Formats.Tar;
using Pkg2d.Apk;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Testing;

namespace Pkg2d.Fetch.Tests;

/// <summary>Repositories built in code: good ones load and fetch, each kind of bad input is rejected for its reason.</summary>
public sealed class SyntheticRepositoryTests : IDisposable
{
    private readonly TempDirectory _cache = new();
    private readonly SyntheticRepository _repo = new("aarch64");

    public void Dispose()
    {
        _repo.Dispose();
        _cache.Dispose();
    }

    [Fact]
    public async Task GoodRepository_OverHttp_LoadsResolvesAndFetches()
    {
        _repo.Add(
            new SyntheticPackage("hello", "1.0-r0")
            {
                Depends = ["so:libgreet.so.1"],
                Files = [SyntheticFile.Directory("usr/bin"), SyntheticFile.Text("usr/bin/hello", "#!/bin/sh\necho hi\n", 0b111_101_101)],
                Scripts = { [".post-install"] = "#!/bin/sh\nexit 0\n" },
            },
            new SyntheticPackage("libgreet", "2.1-r3")
            {
                Provides = ["so:libgreet.so.1=1.0"],
                Files = [SyntheticFile.Text("usr/lib/libgreet.so.1", "ELF"), SyntheticFile.Symlink("usr/lib/libgreet.so", "libgreet.so.1")],
            }).Write();
        using var mirror = new LoopbackMirror(_repo.Base);
        using var source = await ApkSource.OpenAsync(Options(mirror.Url));

        var index = Assert.Single(source.Repositories.Repositories).Index;
        Assert.Equal(_repo.KeyName, index.SignedBy);
        var solution = source.Resolve(["hello"]).Packages;
        Assert.Equal(["libgreet", "hello"], solution.Select(p => p.Name));

        var fetched = await source.FetchAsync(solution);

        Assert.All(fetched, f => Assert.Equal(File.ReadAllBytes(Path.Combine(_repo.ArchDir, f.Entry.FileName)), File.ReadAllBytes(f.Path)));
        Assert.Equal(1, mirror.RequestsFor("aarch64/hello-1.0-r0.apk"));
    }

    [Theory]
    [InlineData(PackageFault.WrongChecksum, "checksum")]
    [InlineData(PackageFault.WrongSize, "size")]
    [InlineData(PackageFault.WrongDataHash, "datahash")]
    [InlineData(PackageFault.UnknownKey, "signature")]
    [InlineData(PackageFault.BadSignature, "signature")]
    [InlineData(PackageFault.TruncatedGzip, "size")]
    public async Task BadPackage_IsRejectedForTheRightCheck_AndNotCached(PackageFault fault, string check)
    {
        _repo.Add(new SyntheticPackage("bad", "1-r0") { Faults = fault, Files = [SyntheticFile.Bytes("data.bin", new byte[20_000])] }).Write();
        using var source = await ApkSource.OpenAsync(Options(_repo.Base));

        var e = await Assert.ThrowsAsync<PackageVerificationException>(() => source.FetchAsync(source.Packages));

        Assert.Equal("bad-1-r0", e.Package);
        Assert.Equal(_repo.ArchDir, e.Repository);
        Assert.Equal(check, e.Check);
        Assert.Empty(Directory.GetFiles(Path.Combine(_cache.Path, "packages")));
    }

    [Fact]
    public async Task CachedFileOfTheWrongSize_IsFetchedAgain()
    {
        _repo.Add(new SyntheticPackage("tool", "1-r0") { Files = [SyntheticFile.Bytes("usr/bin/tool", new byte[5000])] }).Write();
        using var mirror = new LoopbackMirror(_repo.Base);
        using var source = await ApkSource.OpenAsync(Options(mirror.Url));
        var first = Assert.Single(await source.FetchAsync(source.Packages));
        File.WriteAllBytes(first.Path, File.ReadAllBytes(first.Path)[..100]);

        var again = Assert.Single(await source.FetchAsync(source.Packages));

        Assert.True(again.Downloaded);
        Assert.Equal(2, mirror.RequestsFor("aarch64/tool-1-r0.apk"));
        Assert.Equal(File.ReadAllBytes(_repo.PathOf(new SyntheticPackage("tool", "1-r0"))), File.ReadAllBytes(again.Path));
    }

    [Fact]
    public async Task UntrustedPackage_IsAcceptedWithAWarning_WhenAllowed()
    {
        _repo.Add(new SyntheticPackage("stranger", "1-r0") { Faults = PackageFault.UnknownKey }).Write();
        var warnings = new List<string>();
        using var source = await ApkSource.OpenAsync(Options(_repo.Base) with { AllowUntrusted = true }, warnings.Add);

        var fetched = Assert.Single(await source.FetchAsync(source.Packages));

        Assert.True(File.Exists(fetched.Path));
        Assert.Contains(warnings, w => w.Contains("stranger-1-r0.apk", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(IndexFault.UnknownKey)]
    [InlineData(IndexFault.BadSignature)]
    public async Task BadlySignedIndex_IsRefused(IndexFault fault)
    {
        _repo.IndexFaults = fault;
        _repo.Add(new SyntheticPackage("a", "1-r0")).Write();
        using var mirror = new LoopbackMirror(_repo.Base);

        var e = await Assert.ThrowsAsync<ApkSignatureException>(() => ApkSource.OpenAsync(Options(mirror.Url)));

        Assert.Equal(mirror.UrlOf("aarch64/APKINDEX.tar.gz"), e.Subject);
        Assert.NotNull(e.KeyName);
        Assert.Equal(fault == IndexFault.BadSignature, e.KeyName == _repo.KeyName);
        Assert.Empty(Directory.GetFiles(Path.Combine(_cache.Path, "indexes")));
    }

    [Fact]
    public async Task IndexWithGarbageLines_IsAFormatErrorNamingTheIndex()
    {
        _repo.IndexFaults = IndexFault.GarbageLines;
        _repo.Add(new SyntheticPackage("a", "1-r0")).Write();

        var e = await Assert.ThrowsAsync<ApkFormatException>(() => ApkSource.OpenAsync(Options(_repo.Base)));

        Assert.Contains(_repo.IndexPath, e.Message);
        Assert.Contains("line 1", e.Message);
    }

    [Fact]
    public async Task PlainTextIndex_NeedsAllowUntrusted()
    {
        _repo.Add(new SyntheticPackage("a", "1-r0"), new SyntheticPackage("b", "2-r0")).Write();
        var text = _repo.WriteTextIndex();

        await Assert.ThrowsAsync<ApkSignatureException>(() => ApkSource.OpenAsync(Options(text)));

        using var source = await ApkSource.OpenAsync(Options(text) with { AllowUntrusted = true });
        Assert.Equal(["a", "b"], source.Packages.Select(p => p.Name));
        Assert.All(await source.FetchAsync(source.Packages), f => Assert.True(File.Exists(f.Path)));
    }

    [Fact]
    public async Task TaggedRepositories_KeepOrderAndTagTheirEntries()
    {
        _repo.Add(new SyntheticPackage("tool", "1-r0")).Write();
        using var second = new SyntheticRepository("aarch64", ownKey: true);
        second.Add(new SyntheticPackage("tool", "2-r0")).Write();
        var options = Options(_repo.Base) with
        {
            Repositories = [_repo.Base, "@next " + second.Base],
            KeysDirs = [_repo.KeysDir, second.KeysDir],
        };

        using var source = await ApkSource.OpenAsync(options);

        Assert.Equal(["1-r0", "2-r0"], source.Packages.Select(p => p.Version));
        Assert.Equal([null, "next"], source.Packages.Select(source.Repositories.TagOf));
        Assert.Equal("1-r0", Assert.Single(source.Resolve(["tool"]).Packages).Version);
        Assert.Equal("2-r0", Assert.Single(source.Resolve(["tool@next"]).Packages).Version);
    }

    [Fact]
    public async Task DataEntriesThatEscapeTheRoot_AreWrittenAsGiven()
    {
        var package = new SyntheticPackage("evil", "1-r0")
        {
            Files = [SyntheticFile.Text("../escape", "x"), SyntheticFile.Text("/etc/absolute", "y"), SyntheticFile.Symlink("link", "/etc/shadow")],
        };
        _repo.Add(package).Write();
        using var source = await ApkSource.OpenAsync(Options(_repo.Base));

        // Fetching only proves the package is the one its index names; refusing such paths is the unpacker's job.
        var fetched = Assert.Single(await source.FetchAsync(source.Packages));

        var names = new List<string>();
        using (var file = File.OpenRead(fetched.Path))
            PackageVerifier.Verify(file, fetched.Entry, TrustedKeys.Load([_repo.KeysDir]), false, null, data =>
            {
                var tar = new TarReader(data);
                while (tar.GetNextEntry() is { } entry)
                    names.Add(entry.Name);
            });
        Assert.Equal(["../escape", "/etc/absolute", "link"], names);
    }

    private RepositoryOptions Options(string repository) => new()
    {
        Repositories = [repository],
        Arch = _repo.Arch,
        CacheDir = _cache.Path,
        KeysDirs = [_repo.KeysDir],
        Transport = new TransportOptions { Retries = 0 },
        Progress = TextWriter.Null,
    };
}
