using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// Scripts with conditionals, `case` on a readlink and relative paths, and the minirootfs's own base world: the
/// exported image (unpacked by umoci) is the root real apk 2.14.4 makes, and no script is left pending.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScriptParityTests : ParityTest
{
    [ChrootFact("umoci")]
    public async Task Conditional_scripts_give_apks_root_and_nothing_is_pending()
    {
        var repositories = Own(ScriptParityScenarios.Conditionals.Open());
        var apkRoot = Own(new ApkInstallOracle()).InstallOk(repositories.World, repositories.Repositories);

        // What the scripts did under real apk: run at the root, branches taken as the files stood.
        var tree = RootTree.Read(apkRoot);
        Assert.Equal(RootEntryType.File, tree["relfile"].Type);
        Assert.Equal(RootEntryType.File, tree["etc/had-passwd"].Type);
        Assert.Equal(RootEntryType.File, tree["etc/scripted/conf-is-not-a-link"].Type);
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b111_000_000, 0, 0, ""), tree["var/lib/scripted/private"]);
        Assert.Equal(new RootEntry(RootEntryType.Symlink, 0b111_111_111, 0, 0, "conf"), tree["etc/scripted/old-link"]);
        Assert.Equal((0b110_100_000, 42), (tree["etc/scripted/conf"].Mode, tree["etc/scripted/conf"].Gid));
        Assert.DoesNotContain(tree.Entries.Keys, p => p.Contains("wrong") || p.Contains("unexpected") || p.Contains("too-early") || p.Contains("already"));

        var warnings = new List<string>();
        var rootfs = Unpack(await Export(repositories, warnings.Add));
        Assert.Empty(warnings);
        AssertSameRoot("conditionals", apkRoot, rootfs);
    }

    /// <summary>
    /// alpine-baselayout's scripts (case on a readlink, relative chowns), busybox's post-install and the rest of the
    /// minirootfs's base world are all emulated; busybox's trigger is not run, as it only remakes its links.
    /// </summary>
    [ChrootFact("umoci")]
    public async Task The_base_world_has_no_pending_script_and_gives_apks_root()
    {
        var repositories = Own(new ParityScenario("base-world", [], []) { NeedsMinirootfs = true }.Open());
        var apkRoot = Own(new ApkInstallOracle()).InstallOk(repositories.World, repositories.Repositories);

        var warnings = new List<string>();
        var rootfs = Unpack(await Export(repositories, warnings.Add));
        Assert.Empty(warnings);
        AssertSameRoot("base-world", apkRoot, rootfs);
    }
}
