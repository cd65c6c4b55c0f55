using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Install;
using Pkg2d.Image.Publish;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// The rule an image is held to: unpacked (by umoci, the strictest consumer), it is the root Alpine's real apk
/// 2.14.4 makes with `apk add --initdb` from the same packages, scripts on — path by path (type, mode, owner,
/// content, link target) and apk's database and the account files byte for byte — except the documented exceptions.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImageParityTests : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    public static TheoryData<string> Scenarios => [.. ParityScenarios.All.Where(s => s != ParityScenarios.Clash).Select(s => s.Name)];

    [ChrootTheory("umoci")]
    [MemberData(nameof(Scenarios))]
    public async Task The_unpacked_image_is_the_root_apk_makes(string name)
    {
        var scenario = ParityScenarios.All.Single(s => s.Name == name);
        var repositories = Own(scenario.Open());
        var apkRoot = Own(new ApkInstallOracle()).InstallOk(repositories.World, repositories.Repositories);

        var rootfs = await ExportAndUnpack(repositories);

        var differences = RootComparison.Diff(RootTree.Read(apkRoot), RootTree.Read(rootfs), RootExceptions.Documented)
            .Where(d => !IsPkg2dAddition(d))
            .ToList();
        var databases = RootComparison.DiffDatabases(apkRoot, rootfs, ignoreShadowDays: true);
        Assert.True(differences.Count + databases.Count == 0,
            $"{name}: the image differs from apk's root:\n{string.Join('\n', differences.Concat(databases))}");
    }

    [ChrootFact]
    public async Task A_clash_is_an_error_naming_both_packages_and_the_path_as_apk_refuses_it()
    {
        var repositories = Own(ParityScenarios.Clash.Open());
        var install = repositories.InstallWith(Own(new ApkInstallOracle()));
        Assert.Contains("trying to overwrite etc/clash.conf owned by clash-a-1.0-r0", install.Output);

        var error = await Assert.ThrowsAsync<FileConflictException>(() => ExportAndUnpack(repositories));
        Assert.Equal("clash-b-1.0-r0: trying to overwrite /etc/clash.conf owned by clash-a-1.0-r0", error.Message);
    }

    /// <summary>
    /// What pkg2d adds on purpose so `apk` works inside the container: the keys that signed the image's indexes and
    /// packages, etc/apk/repositories, and /.pkg when a script is not emulated.
    /// </summary>
    private static bool IsPkg2dAddition(RootDifference difference) => difference.Kind == RootDifferenceKind.Extra
        && (difference.Path is "etc/apk/keys" or "etc/apk/repositories" or ".pkg" || difference.Path.StartsWith("etc/apk/keys/", StringComparison.Ordinal)
            || difference.Path.StartsWith(".pkg/", StringComparison.Ordinal));

    private async Task<string> ExportAndUnpack(ParityRepositories repositories)
    {
        var dir = Own(new TempDirectory());
        var layout = dir.Combine("layout");
        string[] bases = [.. repositories.Minirootfs is { } mini ? [mini.Base] : Array.Empty<string>(), repositories.Synthetic.Base];
        string[] keys = [.. repositories.Minirootfs?.KeysDirs ?? [], repositories.Synthetic.KeysDir];
        await Exporter.ExportAsync(new ExportRequest
        {
            Output = layout,
            Images = [new ImageSpec("parity", repositories.World)],
            BaseWorld = [],
            Repositories = new RepositoryOptions { Repositories = bases, Arch = "x86_64", KeysDirs = keys, CacheDir = dir.Combine("cache") },
        }, warn: null);
        var bundle = dir.Combine("bundle");
        Tool.RunOk("umoci", "unpack", "--image", layout + ":parity", bundle);
        return Path.Combine(bundle, "rootfs");
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
