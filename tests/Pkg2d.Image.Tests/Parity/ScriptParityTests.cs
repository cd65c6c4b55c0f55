using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Publish;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// Scripts with conditionals, `case` on a readlink and relative paths, and the minirootfs's own base world: the
/// exported image (unpacked by umoci) is the root real apk 2.14.4 makes, and no script is left pending.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScriptParityTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

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

        var (rootfs, warnings) = await ExportAndUnpack(repositories);
        Assert.Empty(warnings);
        AssertSameRoot(apkRoot, rootfs);
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

        var (rootfs, warnings) = await ExportAndUnpack(repositories);
        Assert.Empty(warnings);
        AssertSameRoot(apkRoot, rootfs);
    }

    private static void AssertSameRoot(string apkRoot, string rootfs)
    {
        var differences = RootComparison.Diff(RootTree.Read(apkRoot), RootTree.Read(rootfs), RootExceptions.Documented)
            .Where(d => !IsPkg2dAddition(d))
            .ToList();
        var databases = RootComparison.DiffDatabases(apkRoot, rootfs, ignoreShadowDays: true);
        Assert.True(differences.Count + databases.Count == 0,
            $"the image differs from apk's root:\n{string.Join('\n', differences.Concat(databases))}");
    }

    /// <summary>What pkg2d adds on purpose (as in <see cref="ImageParityTests"/>): the keys, etc/apk/repositories, /.pkg.</summary>
    private static bool IsPkg2dAddition(RootDifference difference) => difference.Kind == RootDifferenceKind.Extra
        && (difference.Path is "etc/apk/keys" or "etc/apk/repositories" or ".pkg" || difference.Path.StartsWith("etc/apk/keys/", StringComparison.Ordinal)
            || difference.Path.StartsWith(".pkg/", StringComparison.Ordinal));

    private async Task<(string Rootfs, List<string> Warnings)> ExportAndUnpack(ParityRepositories repositories)
    {
        var dir = Own(new TempDirectory());
        var layout = dir.Combine("layout");
        string[] bases = [.. repositories.Minirootfs is { } mini ? [mini.Base] : Array.Empty<string>(), repositories.Synthetic.Base];
        string[] keys = [.. repositories.Minirootfs?.KeysDirs ?? [], repositories.Synthetic.KeysDir];
        var warnings = new List<string>();
        await Exporter.ExportAsync(new ExportRequest
        {
            Output = layout,
            Images = [new ImageSpec("parity", repositories.World)],
            BaseWorld = [],
            Repositories = new RepositoryOptions { Repositories = bases, Arch = "x86_64", KeysDirs = keys, CacheDir = dir.Combine("cache") },
        }, warnings.Add);
        var bundle = dir.Combine("bundle");
        Tool.RunOk("umoci", "unpack", "--image", layout + ":parity", bundle);
        return (Path.Combine(bundle, "rootfs"), warnings);
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
            owned.Dispose();
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
