using Pkg2d.Resolve;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// Real Alpine packages with their real install scripts and triggers (Alpine 3.19.1's install repository): the
/// image of a server world must be the root real apk-tools 2.14.4 makes from the same mirror, with no script left
/// pending — busybox's applet links, the accounts and the directories its scripts make.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RealPackageParityTests : ParityTest
{
    private static readonly string[] World = ["alpine-base", "openssh-server", "chrony", "dhcpcd", "doas", "openntpd", "e2fsprogs", "wget", "tzdata"];

    [ChrootFact("umoci", "podman")]
    public async Task A_server_world_of_real_packages_is_apks_root_and_runs()
    {
        var apkRoot = Own(new ApkInstallOracle()).InstallOk(World, new OracleRepository(Fixtures.IsoMirrorBase, [Fixtures.KeysDir]));
        var warnings = new List<string>();
        var layout = await Export([Fixtures.IsoMirrorBase], [Fixtures.KeysDir], World, warnings.Add);

        Assert.Empty(warnings);
        var rootfs = Unpack(layout);
        Assert.False(Directory.Exists(Path.Combine(rootfs, ".pkg")), "no script may be pending");
        AssertSameRoot("v3.19-iso server world", apkRoot, rootfs);

        using var podman = new Podman();
        var output = podman.RunOk("run", "--rm", "--network", "none", "oci:" + layout + ":parity", "/bin/sh", "-c",
            "ls /etc/alpine-release && id dhcpcd && stat -c %U:%a /var/lib/dhcpcd && head -n 1 /etc/passwd && readlink /bin/su");
        Assert.Contains("/etc/alpine-release\n", output);
        Assert.Matches(@"uid=\d+\(dhcpcd\) gid=\d+\(dhcpcd\)", output);
        Assert.Contains("dhcpcd:2755\n", output);
        Assert.Contains("root:x:0:0:root:/root:/bin/ash\n", output);
        Assert.EndsWith("/bin/bbsuid\n", output);
    }

    /// <summary>
    /// The same world as apk-tools 3.0.6 installs it (`--apk-tools 3`): scripts.tar.gz byte for byte, no lock, the
    /// directories apk 3 makes and the database it writes; its log of the run is its own.
    /// </summary>
    [ChrootFact("umoci")]
    public async Task As_apk_tools_3_the_server_world_is_apk_3s_root()
    {
        var apkRoot = Own(new Apk3InstallOracle()).InstallOk(World, new OracleRepository(Fixtures.IsoMirrorBase, [Fixtures.KeysDir]));
        var warnings = new List<string>();
        var layout = await Export([Fixtures.IsoMirrorBase], [Fixtures.KeysDir], World, warnings.Add, ApkToolsGeneration.V3);

        Assert.Empty(warnings);
        var rootfs = Unpack(layout);
        Assert.True(File.Exists(Path.Combine(rootfs, "lib/apk/db/scripts.tar.gz")));
        Assert.False(File.Exists(Path.Combine(rootfs, "lib/apk/db/lock")));
        AssertSameRoot("v3.19-iso server world, apk-tools 3", apkRoot, rootfs);
    }
}
