using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>The `pkg2d` executable as a user runs it: output, errors and exit status.</summary>
public class CliTests
{
    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    private static string[] X86Index => ["--repo", Fixtures.X86_64Index, "--arch", "x86_64", "--keys-dir", Fixtures.KeysDir];

    /// <summary>Guards against testing a stale PKG2D_BIN: its version names the commit the tests were built from.</summary>
    [Fact]
    public void TheExecutableUnderTestIsBuiltFromTheSameSourceAsTheTests()
    {
        var (exit, output, error) = Pkg2d("--version");

        Assert.True(exit == 0, error);
        Assert.Equal(System.Diagnostics.FileVersionInfo.GetVersionInfo(Pkg2dProcess.Dll).ProductVersion, output.Trim());
    }

    [FixtureFact]
    public void ResolvePrintsTheSolutionInInstallOrder()
    {
        var (exit, output, error) = Pkg2d(["resolve", .. X86Index, "build-base"]);

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(21, lines.Length);
        Assert.Equal("musl 1.2.3-r2", lines[0]);
        Assert.Equal("build-base 0.5-r3", lines[^1]);
        Assert.Contains("gcc 11.2.1_git20220219-r2", lines);
    }

    [FixtureFact]
    public void ResolveAsJsonGivesEveryPackagesFacts()
    {
        var (exit, output, error) = Pkg2d(["resolve", .. X86Index, "--format", "json", "so:libz.so.1"]);

        Assert.True(exit == 0, error);
        var packages = JsonDocument.Parse(output).RootElement.EnumerateArray().ToArray();
        Assert.Equal(["musl", "zlib"], packages.Select(p => p.GetProperty("name").GetString()));
        var zlib = packages[1];
        Assert.Equal("1.2.12-r3", zlib.GetProperty("version").GetString());
        Assert.Equal("x86_64", zlib.GetProperty("arch").GetString());
        Assert.True(zlib.GetProperty("size").GetInt64() > 0);
        Assert.StartsWith("Q1", zlib.GetProperty("checksum").GetString());
        Assert.Equal(Path.GetDirectoryName(Fixtures.X86_64Index), zlib.GetProperty("repository").GetString());
    }

    [FixtureFact]
    public void UnsatisfiableWorldIsAClearErrorNotAStackTrace()
    {
        var (exit, output, error) = Pkg2d(["resolve", .. X86Index, "gcc", "no-such-package", "musl>=99"]);

        Assert.Equal(1, exit);
        Assert.Equal("", output);
        Assert.StartsWith("pkg2d: error: unable to select packages:", error);
        Assert.Contains("no-such-package", error);
        Assert.Contains("musl>=99", error);
        Assert.DoesNotContain("   at ", error);
    }

    [FixtureFact]
    public void InvalidWorldEntryIsRejected()
    {
        var (exit, _, error) = Pkg2d(["resolve", .. X86Index, "musl=invalid"]);

        Assert.NotEqual(0, exit);
        Assert.Contains("musl=invalid", error);
    }

    [FixtureFact]
    public void UntrustedIndexIsRefusedUnlessAllowedAndThenAWarningSaysSo()
    {
        using var noKeys = new TempDirectory();
        var refused = Pkg2d("resolve", "--repo", Fixtures.X86_64Index, "--arch", "x86_64", "--keys-dir", noKeys.Path, "musl");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("v3.16.3-main-x86_64-APKINDEX.tar.gz", refused.Errors);

        var allowed = Pkg2d("resolve", "--repo", Fixtures.X86_64Index, "--arch", "x86_64", "--keys-dir", noKeys.Path, "--allow-untrusted", "musl");
        Assert.Equal(0, allowed.ExitCode);
        Assert.Equal("musl 1.2.3-r2\n", allowed.Output);
        Assert.Contains("warning", allowed.Errors);
    }

    [FixtureFact]
    public void FetchDownloadsAndVerifiesFromAMirrorGivenInARepositoriesFile()
    {
        using var mirror = new LoopbackMirror(Fixtures.Path("mirror"));
        using var dir = new TempDirectory();
        var repositories = dir.Combine("repositories");
        File.WriteAllText(repositories, $"# the v3.7 fixture mirror\n\n{mirror.Url}/v3.7/main\n");

        var (exit, output, error) = Pkg2d("fetch", "--repositories-file", repositories, "--arch", "armhf", "--keys-dir", Fixtures.KeysDir,
            "--cache", dir.Combine("cache"), "alpine-base");

        Assert.True(exit == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();
        Assert.Equal(16, lines.Length);
        Assert.All(lines, l => Assert.True(File.Exists(l[2]), l[2]));
        Assert.Contains("16 downloaded", error);
    }

    [FixtureFact]
    public void ExportWritesALayoutAndSummarises()
    {
        using var dir = new TempDirectory();
        var (exit, _, error) = Pkg2d("export", "--repo", Fixtures.MirrorBase, "--arch", "armhf", "--keys-dir", Fixtures.KeysDir,
            "--cache", dir.Combine("cache"), "--base", "", "--out", dir.Combine("layout"), "base=alpine-base", "musl");

        Assert.True(exit == 0, error);
        Assert.Contains("2 image(s)", error);
        var refs = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("layout", "index.json"))).RootElement.GetProperty("manifests")
            .EnumerateArray().Select(m => IndexJson.RefName(m) ?? m.GetProperty("artifactType").GetString()!).ToArray();
        // The images by name, then their SBOMs.
        Assert.Equal(["base", "musl", "application/spdx+json", "application/spdx+json"], refs);
    }

    [FixtureFact]
    public void ExportOverAnExistingFolderFailsAndLeavesItAlone()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("keep"), "mine");
        var (exit, _, error) = Pkg2d("export", "--repo", Fixtures.MirrorBase, "--arch", "armhf", "--keys-dir", Fixtures.KeysDir,
            "--cache", dir.Combine("cache"), "--out", dir.Path, "musl");

        Assert.Equal(1, exit);
        Assert.Contains(dir.Path, error);
        Assert.Equal("mine", File.ReadAllText(dir.Combine("keep")));
    }

    [FixtureFact]
    public void ExportOfPackagesThatClashIsOneErrorLineNamingBothAndWritesNothing()
    {
        using var repository = new SyntheticRepository();
        repository.Add(
            new SyntheticPackage("clash-a", "1.0-r0") { Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/clash.conf", "a\n")] },
            new SyntheticPackage("clash-b", "1.0-r0") { Depends = ["clash-a"], Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/clash.conf", "b\n")] })
            .Write();
        using var dir = new TempDirectory();
        var (exit, _, error) = Pkg2d("export", "--repo", repository.Base, "--arch", "x86_64", "--keys-dir", repository.KeysDir,
            "--cache", dir.Combine("cache"), "--base", "", "--out", dir.Combine("layout"), "clash-b");

        Assert.Equal(1, exit);
        Assert.Equal("pkg2d: error: clash-b-1.0-r0: trying to overwrite /etc/clash.conf owned by clash-a-1.0-r0\n", error[error.IndexOf("pkg2d: error", StringComparison.Ordinal)..]);
        Assert.False(Directory.Exists(dir.Combine("layout")));
    }
}
