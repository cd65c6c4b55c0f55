using Pkg2d.Image.Install;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// The rule an image is held to: unpacked (by umoci, the strictest consumer), it is the root Alpine's real apk
/// (2.14.4, or 3.0.6 for `--apk-tools 3`) makes with `apk add --initdb` from the same packages, scripts on — path by
/// path (type, mode, owner, content, link target) and apk's database and the account files byte for byte — except
/// the documented exceptions.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImageParityTests : ParityTest
{
    /// <summary>Each scenario as apk-tools 2.14.4 installs it and, exported with `--apk-tools 3`, as apk 3.0.6 does.</summary>
    public static TheoryData<string, int> Scenarios
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var scenario in ParityScenarios.All.Where(s => s != ParityScenarios.Clash))
            {
                data.Add(scenario.Name, 2);
                data.Add(scenario.Name, 3);
            }
            return data;
        }
    }

    [ChrootTheory("umoci")]
    [MemberData(nameof(Scenarios))]
    public async Task The_unpacked_image_is_the_root_apk_makes(string name, int apkTools)
    {
        var scenario = ParityScenarios.All.Single(s => s.Name == name);
        var repositories = Own(scenario.Open());
        var apkRoot = Own(InstallOracles.Of(apkTools)).InstallOk(repositories.World, repositories.Repositories);

        AssertSameRoot($"{name}, apk-tools {apkTools}", apkRoot, Unpack(await Export(repositories, apkTools: (Pkg2d.Resolve.ApkToolsGeneration)apkTools)));
    }

    [ChrootFact]
    public async Task A_clash_is_an_error_naming_both_packages_and_the_path_as_apk_refuses_it()
    {
        var repositories = Own(ParityScenarios.Clash.Open());
        var install = repositories.InstallWith(Own(new ApkInstallOracle()));
        Assert.Contains("trying to overwrite etc/clash.conf owned by clash-a-1.0-r0", install.Output);

        var error = await Assert.ThrowsAsync<FileConflictException>(() => Export(repositories));
        Assert.Equal("clash-b-1.0-r0: trying to overwrite /etc/clash.conf owned by clash-a-1.0-r0", error.Message);
    }

    [ChrootFact("umoci", "podman")]
    public async Task Accounts_made_by_scripts_own_their_files_in_a_running_container()
    {
        var repositories = Own(ParityScenarios.Accounts.Open());
        var layout = await Export(repositories);

        using var podman = new Podman();
        var output = podman.RunOk("run", "--rm", "--network", "none", "oci:" + layout + ":parity", "/bin/sh", "-c",
            "id nginx && stat -c '%n %U:%G %a' /var/lib/nginx /var/log/nginx /run/nginx");
        Assert.Matches(@"uid=\d+\(nginx\) gid=\d+\(nginx\) groups=\d+\(nginx\),82\(www-data\)", output);
        Assert.Contains("/var/lib/nginx nginx:nginx 750", output);
        Assert.Contains("/var/log/nginx nginx:nginx 750", output);
        Assert.Contains("/run/nginx nginx:nginx 750", output);
    }

    /// <summary>
    /// A merged /usr built from real parts: `merged-layout` makes `bin -> usr/bin` and `sbin -> usr/sbin`, then `shell`
    /// ships Alpine's real busybox as `bin/busybox` with `bin/sh -> busybox` (and musl from the minirootfs): apk puts
    /// them in usr/bin, the image must too, and /bin/sh must run through the link.
    /// </summary>
    [ChrootFact("umoci", "podman")]
    public async Task A_merged_usr_image_is_apks_root_and_its_shell_runs_through_the_links()
    {
        var minirootfs = Own(new MinirootfsRepository());
        var work = Own(new TempDirectory());
        Tool.RunOk("tar", "-xzf", MinirootfsRepository.BusyboxPath, "-C", work.Path, "bin/busybox");
        var synthetic = Own(new SyntheticRepository());
        synthetic.Add(
            new SyntheticPackage("merged-layout", "1.0-r0")
            {
                InstalledSize = 4096,
                Files = [SyntheticFile.Directory("usr"), SyntheticFile.Directory("usr/bin"), SyntheticFile.Directory("usr/sbin"),
                    SyntheticFile.Symlink("bin", "usr/bin"), SyntheticFile.Symlink("sbin", "usr/sbin")],
            },
            new SyntheticPackage("shell", "1.0-r0")
            {
                Depends = ["merged-layout", "musl"],
                Files = [SyntheticFile.Directory("bin"), SyntheticFile.Bytes("bin/busybox", File.ReadAllBytes(work.Combine("bin", "busybox")), 0b111_101_101),
                    SyntheticFile.Symlink("bin/sh", "busybox"), SyntheticFile.Directory("sbin")],
            }).Write();
        OracleRepository[] repositories = [minirootfs, synthetic];
        var apkRoot = Own(new ApkInstallOracle()).InstallOk(["shell"], repositories);

        var layout = await Export([minirootfs.Base, synthetic.Base], [.. minirootfs.KeysDirs, synthetic.KeysDir], ["shell"]);
        AssertSameRoot("merged-usr-shell", apkRoot, Unpack(layout));

        using var podman = new Podman();
        var output = podman.RunOk("run", "--rm", "--network", "none", "oci:" + layout + ":parity", "/bin/sh", "-c",
            "/bin/busybox readlink /bin && /bin/busybox readlink /sbin && /bin/busybox ls /usr/bin && echo through-the-link");
        Assert.Equal("usr/bin\nusr/sbin\nbusybox\nsh\nthrough-the-link\n", output);
    }
}
