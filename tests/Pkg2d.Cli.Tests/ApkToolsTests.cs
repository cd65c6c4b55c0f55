using System.Formats.Tar;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>`--apk-tools`: the apk-tools generation an image follows, the repositories' own unless asked for.</summary>
public sealed class ApkToolsTests
{
    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    [FixtureFact]
    public void Todays_indexes_lock_as_their_own_apk_tools_and_the_option_overrides_it()
    {
        using var dir = new TempDirectory();
        int Locked(string index, params string[] options)
        {
            var lockFile = dir.Combine(Path.GetFileName(index) + string.Concat(options) + ".lock");
            var (exit, _, errors) = Pkg2d(["lock", "--repo", Fixtures.Path("indexes", index), "--arch", "x86_64", "--keys-dir", Fixtures.KeysDir,
                "--cache", dir.Combine("cache"), "--base", "", "--output", lockFile, .. options, "busybox"]);
            Assert.True(exit == 0, errors);
            return JsonDocument.Parse(File.ReadAllBytes(lockFile)).RootElement.GetProperty("images")[0].GetProperty("apkTools").GetInt32();
        }

        // Alpine 3.22's newest apk-tools is 2.14, 3.23's is 3.0.
        Assert.Equal(2, Locked("v3.22.2-main-x86_64-APKINDEX.tar.gz"));
        Assert.Equal(3, Locked("v3.23.4-main-x86_64-APKINDEX.tar.gz"));
        Assert.Equal(2, Locked("v3.23.4-main-x86_64-APKINDEX.tar.gz", "--apk-tools", "2"));
        Assert.Equal(3, Locked("v3.22.2-main-x86_64-APKINDEX.tar.gz", "--apk-tools", "3"));
    }

    [FixtureFact]
    public void An_export_as_apk_tools_3_carries_apk_3s_database_and_a_lock_of_the_other_generation_is_refused()
    {
        using var dir = new TempDirectory();
        string[] repository = ["--repo", Fixtures.MirrorBase, "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, "--cache", dir.Combine("cache"), "--base", ""];

        var (exit, _, errors) = Pkg2d(["export", .. repository, "--apk-tools", "3", "--out", dir.Combine("three"), "alpine-base"]);
        Assert.True(exit == 0, errors);
        var (annotation, top) = TopLayer(dir.Combine("three"));
        Assert.Equal("3", annotation);
        Assert.Contains("lib/apk/db/scripts.tar.gz", top);
        Assert.DoesNotContain("lib/apk/db/lock", top);
        Assert.DoesNotContain("lib/apk/db/scripts.tar", top);

        // v3.7's own generation is 2.
        (exit, _, errors) = Pkg2d(["export", .. repository, "--out", dir.Combine("two"), "alpine-base"]);
        Assert.True(exit == 0, errors);
        (annotation, top) = TopLayer(dir.Combine("two"));
        Assert.Equal("2", annotation);
        Assert.Contains("lib/apk/db/scripts.tar", top);
        Assert.Contains("lib/apk/db/lock", top);

        (exit, _, errors) = Pkg2d(["lock", .. repository, "--apk-tools", "3", "--output", dir.Combine("three.lock"), "alpine-base"]);
        Assert.True(exit == 0, errors);
        (exit, _, errors) = Pkg2d(["export", .. repository, "--apk-tools", "2", "--lock", dir.Combine("three.lock"), "--out", dir.Combine("refused"), "alpine-base"]);
        Assert.Equal(1, exit);
        Assert.Contains("asks for apk-tools 2, but the lock was made for apk-tools 3", errors);
        Assert.False(Directory.Exists(dir.Combine("refused")));

        (exit, _, errors) = Pkg2d(["export", .. repository, "--apk-tools", "4", "--out", dir.Combine("four"), "alpine-base"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("--apk-tools", errors);
        Assert.False(Directory.Exists(dir.Combine("four")));
    }

    /// <summary>The image's `dev.pkg2d.apk-tools` annotation and the paths of its top layer (the last, uncompressed).</summary>
    private static (string? Annotation, List<string> Paths) TopLayer(string layout)
    {
        string Blob(JsonElement descriptor) => Path.Combine(layout, "blobs", "sha256", descriptor.GetProperty("digest").GetString()!["sha256:".Length..]);
        var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json"))).RootElement;
        var manifest = JsonDocument.Parse(File.ReadAllBytes(Blob(index.GetProperty("manifests")[0]))).RootElement;
        var annotation = manifest.GetProperty("annotations").TryGetProperty("dev.pkg2d.apk-tools", out var value) ? value.GetString() : null;
        using var tar = new TarReader(File.OpenRead(Blob(manifest.GetProperty("layers").EnumerateArray().Last())));
        var paths = new List<string>();
        while (tar.GetNextEntry() is { } entry)
            paths.Add(entry.Name.TrimStart('.', '/').TrimEnd('/'));
        return (annotation, paths);
    }
}
