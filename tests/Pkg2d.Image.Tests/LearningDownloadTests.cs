using Pkg2d.Apk.Verification;
using Pkg2d.Fetch;
using Pkg2d.Image.Packages;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

/// <summary>
/// Packages whose facts are learned are verified by the scan that learns them, in one pass over the download: a bad
/// download must still be refused before it enters the cache, and the facts must be those a scan of the cached file
/// gives.
/// </summary>
public sealed class LearningDownloadTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SyntheticRepository _repo = new();

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    private string Cache => _dir.Combine("cache");

    private RepositoryOptions Options => new()
    {
        Repositories = [_repo.Base], Arch = "x86_64", KeysDirs = [_repo.KeysDir], CacheDir = Cache, Progress = TextWriter.Null,
    };

    [Theory]
    [InlineData(PackageFault.WrongChecksum, "checksum")]
    [InlineData(PackageFault.WrongDataHash, "datahash")]
    [InlineData(PackageFault.BadSignature, "signature")]
    [InlineData(PackageFault.UnknownKey, "signature")]
    public async Task ABadDownloadIsRefusedAndNeitherItsFileNorItsFactsAreKept(PackageFault fault, string check)
    {
        _repo.Add(new SyntheticPackage("bad", "1.0-r0") { Faults = fault, Files = [SyntheticFile.Text("etc/bad", "x\n")] }).Write();
        using var engine = new ImageEngine(Options);
        var resolved = await engine.ResolveAsync("img", ["bad"]);

        var error = await Assert.ThrowsAsync<PackageVerificationException>(() => engine.AssembleAsync(resolved));
        Assert.Contains("bad-1.0-r0", error.Message);
        Assert.Contains(check, error.Message);
        Assert.Empty(Directory.GetFiles(Path.Combine(Cache, "packages"), "*.apk"));
        Assert.False(Directory.Exists(engine.Store.Facts.Directory) && Directory.GetFiles(engine.Store.Facts.Directory).Length > 0);
    }

    [Fact]
    public async Task FactsLearnedFromTheDownloadEqualAScanOfTheCachedFile()
    {
        _repo.Add(
            new SyntheticPackage("app", "1.0-r0") { Depends = ["lib"], Files = [SyntheticFile.Text("usr/bin/app", "#!/bin/sh\n", 0b111_101_101)] },
            new SyntheticPackage("lib", "2.0-r1") { Files = [SyntheticFile.Directory("usr/lib"), SyntheticFile.Text("usr/lib/lib.so", "lib")] }).Write();
        using var engine = new ImageEngine(Options);
        var resolved = await engine.ResolveAsync("img", ["app"]);
        var learned = await engine.Store.LearnAsync(resolved.Packages);

        Assert.Equal(2, engine.Stats.FactsLearned);
        foreach (var (entry, facts) in resolved.Packages.Zip(learned))
        {
            var path = engine.Store.Cache.PackagePath(entry);
            Assert.True(File.Exists(path), $"{entry} was not kept in the cache");
            var again = PackageScanner.Scan(path, entry, Apk.Signing.TrustedKeys.Load([_repo.KeysDir]), allowUntrusted: false, warn: null);
            Assert.Equal(again.Key, facts.Key);
            Assert.Equal((again.LayerDigest, again.DiffId, again.DiffSize, again.DataOffset, again.DataLength),
                (facts.LayerDigest, facts.DiffId, facts.DiffSize, facts.DataOffset, facts.DataLength));
            Assert.Equal(again.Files.Select(f => f.Path), facts.Files.Select(f => f.Path));
            Assert.Equal(again.SignedBy, facts.SignedBy);
            Assert.Equal(facts.LayerDigest, engine.Store.Facts.TryGet(facts.Key)?.LayerDigest);
        }
    }
}
