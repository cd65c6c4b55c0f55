using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>`pkg2d lock` and `export --lock`: the same images again, whatever the mirror has done since.</summary>
public class LockTests
{
    private static int _publications;
    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    [FixtureFact]
    public void A_lock_is_deterministic_and_an_export_with_it_reads_no_index_and_is_byte_identical()
    {
        using var mirror = new LoopbackMirror(Fixtures.Path("mirror"));
        using var dir = new TempDirectory();
        string[] repository = ["--repo", mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, "--base", ""];

        Ok(Pkg2d(["lock", .. repository, "--cache", dir.Combine("cache"), "--output", dir.Combine("first.lock"), "alpine-base"]));
        Ok(Pkg2d(["lock", .. repository, "--cache", dir.Combine("cache"), "--output", dir.Combine("second.lock"), "alpine-base"]));
        Assert.Equal(File.ReadAllBytes(dir.Combine("first.lock")), File.ReadAllBytes(dir.Combine("second.lock")));

        var image = JsonDocument.Parse(File.ReadAllBytes(dir.Combine("first.lock"))).RootElement.GetProperty("images").EnumerateArray().Single();
        Assert.Equal(("alpine-base", "armhf"), (image.GetProperty("name").GetString(), image.GetProperty("arch").GetString()));
        var musl = image.GetProperty("packages").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "musl");
        Assert.Equal("1.1.18-r2", musl.GetProperty("version").GetString());
        Assert.StartsWith("Q1", musl.GetProperty("checksum").GetString());
        Assert.Equal(new FileInfo(Fixtures.MirrorPackage("musl")).Length, musl.GetProperty("size").GetInt64());
        Assert.Equal(16, image.GetProperty("packages").GetArrayLength());

        Ok(Pkg2d(["export", .. repository, "--cache", dir.Combine("cache"), "--out", dir.Combine("plain"), "alpine-base"]));
        mirror.ResetCounts();
        Ok(Pkg2d(["export", .. repository, "--cache", dir.Combine("fresh-cache"), "--lock", dir.Combine("first.lock"), "--out", dir.Combine("locked"), "alpine-base"]));
        Assert.Equal(0, mirror.RequestsFor("v3.7/main/armhf/APKINDEX.tar.gz"));
        Assert.Equal(1, mirror.RequestsFor("v3.7/main/armhf/" + Path.GetFileName(Fixtures.MirrorPackage("musl"))));
        Assert.Equal(Files(dir.Combine("plain")), Files(dir.Combine("locked")));
    }

    [FixtureFact]
    public void After_the_mirror_moved_on_a_lock_builds_the_same_image_from_the_cache_and_a_vanished_package_is_an_error()
    {
        using var mirrorRoot = new TempDirectory();
        using var old = new SyntheticRepository();
        old.Add(new SyntheticPackage("app", "1.0-r0") { Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/app.conf", "one\n")] }).Write();
        using var moved = new SyntheticRepository();
        moved.Add(new SyntheticPackage("app", "1.1-r0") { Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/app.conf", "two\n")] }).Write();
        Publish(old, mirrorRoot.Path);
        using var mirror = new LoopbackMirror(mirrorRoot.Path);
        using var dir = new TempDirectory();
        string[] repository = ["--repo", mirror.Url, "--arch", "x86_64", "--keys-dir", old.KeysDir, "--base", ""];

        Ok(Pkg2d(["lock", .. repository, "--cache", dir.Combine("cache"), "--output", dir.Combine("app.lock"), "app"]));
        Ok(Pkg2d(["export", .. repository, "--cache", dir.Combine("cache"), "--lock", dir.Combine("app.lock"), "--out", dir.Combine("before"), "app"]));

        // Alpine's mirrors keep only the newest build: the locked one is gone from the mirror, not from the cache.
        Publish(moved, mirrorRoot.Path);
        Ok(Pkg2d(["export", .. repository, "--cache", dir.Combine("cache"), "--lock", dir.Combine("app.lock"), "--out", dir.Combine("after"), "app"]));
        Assert.Equal(Files(dir.Combine("before")), Files(dir.Combine("after")));
        Ok(Pkg2d(["export", .. repository, "--cache", dir.Combine("cache"), "--out", dir.Combine("unlocked"), "app"]));
        Assert.NotEqual(Files(dir.Combine("before")), Files(dir.Combine("unlocked")));

        var (exit, _, error) = Pkg2d(["export", .. repository, "--cache", dir.Combine("empty-cache"), "--lock", dir.Combine("app.lock"),
            "--out", dir.Combine("vanished"), "app"]);
        Assert.Equal(1, exit);
        Assert.Contains("app-1.0-r0", error);
        Assert.DoesNotContain("   at ", error);
        Assert.False(Directory.Exists(dir.Combine("vanished")));

        (exit, _, error) = Pkg2d(["export", .. repository, "--cache", dir.Combine("cache"), "--lock", dir.Combine("app.lock"),
            "--out", dir.Combine("other"), "other=app,busybox"]);
        Assert.Equal(1, exit);
        Assert.Contains("the lock has no image 'other'", error);
    }

    /// <summary>Makes a repository's files the whole content of the mirror folder.</summary>
    private static void Publish(SyntheticRepository repository, string mirrorRoot)
    {
        var arch = Path.Combine(mirrorRoot, repository.Arch);
        if (Directory.Exists(arch))
            Directory.Delete(arch, recursive: true);
        Directory.CreateDirectory(arch);
        var published = DateTime.UtcNow.AddMinutes(Interlocked.Increment(ref _publications));
        foreach (var file in Directory.GetFiles(repository.ArchDir))
        {
            var copy = Path.Combine(arch, Path.GetFileName(file));
            File.Copy(file, copy);
            // Newer than anything published before, as a mirror's next index is (If-Modified-Since has a one-second grain).
            File.SetLastWriteTimeUtc(copy, published);
        }
    }

    private static void Ok((int ExitCode, string Output, string Errors) run) => Assert.True(run.ExitCode == 0, run.Errors);

    private static Dictionary<string, string> Files(string layout) => Directory.GetFiles(layout, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(layout, f), f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
