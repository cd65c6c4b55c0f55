using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Publish;
using Pkg2d.Resolve;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// What every parity test does: export a world as image `parity`, unpack it with umoci (the strictest consumer) and
/// compare it with the root real apk made, path by path and apk's database and the account files byte for byte.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public abstract class ParityTest : OwningTest
{
    protected static void AssertSameRoot(string name, string apkRoot, string rootfs)
    {
        var differences = RootComparison.Diff(RootTree.Read(apkRoot), RootTree.Read(rootfs), RootExceptions.Documented)
            .Where(d => !IsPkg2dAddition(d))
            .ToList();
        var databases = RootComparison.DiffDatabases(apkRoot, rootfs, ignoreShadowDays: true);
        Assert.True(differences.Count + databases.Count == 0,
            $"{name}: the image differs from apk's root:\n{string.Join('\n', differences.Concat(databases))}");
    }

    /// <summary>
    /// What pkg2d adds on purpose so `apk` works inside the container: the keys that signed the image's indexes and
    /// packages, etc/apk/repositories, and /.pkg when a script is not emulated.
    /// </summary>
    private static bool IsPkg2dAddition(RootDifference difference) => difference.Kind == RootDifferenceKind.Extra
        && (difference.Path is "etc/apk/keys" or "etc/apk/repositories" or ".pkg" || difference.Path.StartsWith("etc/apk/keys/", StringComparison.Ordinal)
            || difference.Path.StartsWith(".pkg/", StringComparison.Ordinal));

    protected Task<string> Export(ParityRepositories repositories, Action<string>? warn = null, ApkToolsGeneration? apkTools = null) => Export(
        [.. repositories.Minirootfs is { } mini ? [mini.Base] : Array.Empty<string>(), repositories.Synthetic.Base],
        [.. repositories.Minirootfs?.KeysDirs ?? [], repositories.Synthetic.KeysDir], repositories.World, warn, apkTools);

    /// <summary>Exports the world as image `parity` into a new layout; returns the layout's folder.</summary>
    protected async Task<string> Export(IReadOnlyList<string> bases, IReadOnlyList<string> keys, IReadOnlyList<string> world, Action<string>? warn = null,
        ApkToolsGeneration? apkTools = null)
    {
        var dir = Own(new TempDirectory());
        var layout = dir.Combine("layout");
        await Exporter.ExportAsync(new ExportRequest
        {
            Output = layout,
            Images = [new ImageSpec("parity", world)],
            BaseWorld = [],
            Repositories = new RepositoryOptions { Repositories = bases, Arch = "x86_64", KeysDirs = keys, CacheDir = dir.Combine("cache"), ApkTools = apkTools },
        }, warn);
        return layout;
    }

    /// <summary>The image's root as umoci unpacks it.</summary>
    protected string Unpack(string layout)
    {
        var bundle = Own(new TempDirectory()).Combine("bundle");
        Tool.RunOk("umoci", "unpack", "--image", layout + ":parity", bundle);
        return Path.Combine(bundle, "rootfs");
    }
}
