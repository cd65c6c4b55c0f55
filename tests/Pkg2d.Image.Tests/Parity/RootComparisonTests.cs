using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>RootComparison against a copy of a real apk root, changed one way at a time.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RootComparisonTests : IDisposable
{
    private readonly TempDirectory _copy = new("pkg2d-rootcopy-");

    public void Dispose() => _copy.Dispose();

    [ChrootFact]
    public void Every_kind_of_difference_is_reported_and_only_the_documented_exceptions_are_left_out()
    {
        using var repositories = ParityScenarios.MergedUsr.Open();
        using var oracle = new ApkInstallOracle();
        var apk = oracle.InstallOk(repositories.World, repositories.Repositories);
        File.WriteAllText(Path.Combine(apk, "etc/shadow"), "root:::0:::::\nnginx:!:20000:0:99999:7:::\n");
        var image = _copy.Combine("rootfs");
        Tool.RunOk("cp", "-a", apk, image);

        Assert.Empty(RootComparison.Diff(RootTree.Read(apk), RootTree.Read(image), RootExceptions.None));

        File.WriteAllText(Path.Combine(image, "etc/shadow"), "root:::0:::::\nnginx:!:20001:0:99999:7:::\n");
        File.WriteAllText(Path.Combine(image, "etc/passwd-"), "backup\n");
        File.WriteAllText(Path.Combine(image, "etc/machine-id"), "0123\n");
        File.Delete(Path.Combine(image, "dev/null"));
        var documented = RootComparison.Diff(RootTree.Read(apk), RootTree.Read(image), RootExceptions.Documented);
        // machine-id is host-unique in content only: being there at all still counts.
        Assert.Equal(["Extra etc/machine-id"], documented.Select(d => $"{d.Kind} {d.Path}"));

        File.SetUnixFileMode(Path.Combine(image, "usr/bin/tool"), (UnixFileMode)0b111_100_100);
        Tool.RunOk("chown", "7:8", Path.Combine(image, "usr/sbin/toold"));
        File.AppendAllText(Path.Combine(image, "etc/apk/world"), "extra\n");
        File.Delete(Path.Combine(image, "usr/bin/tool-alias"));
        File.CreateSymbolicLink(Path.Combine(image, "usr/bin/tool-alias"), "elsewhere");
        File.Delete(Path.Combine(image, "sbin"));
        Directory.CreateDirectory(Path.Combine(image, "sbin"));
        Directory.CreateDirectory(Path.Combine(image, "opt"));
        var all = RootComparison.Diff(RootTree.Read(apk), RootTree.Read(image), RootExceptions.None);
        Assert.Equal(
        [
            "Missing dev/null",
            "Content etc/apk/world",
            "Extra etc/machine-id",
            "Extra etc/passwd-",
            "Content etc/shadow",
            "Extra opt",
            "Type sbin",
            "Mode usr/bin/tool",
            "LinkTarget usr/bin/tool-alias",
            "Owner usr/sbin/toold",
        ], all.Select(d => $"{d.Kind} {d.Path}"));
        Assert.Equal("Mode       usr/bin/tool: apk 0755, image 0744", all.Single(d => d.Kind == RootDifferenceKind.Mode).ToString());

        var databases = RootComparison.DiffDatabases(apk, image, ignoreShadowDays: false);
        Assert.Equal([new RootDifference("etc/shadow", RootDifferenceKind.Content, "line 2 nginx:!:20000:0:99999:7:::", "line 2 nginx:!:20001:0:99999:7:::")], databases);
        Assert.Empty(RootComparison.DiffDatabases(apk, image, ignoreShadowDays: true));
    }
}
