using Pkg2d.Testing;

namespace Pkg2d.Fetch.Tests;

/// <summary>Alpine's real apk accepts what <see cref="SyntheticRepository"/> writes, so the synthetic format is the real one.</summary>
public class AlpineApkReferenceTests
{
    [ToolFact("tar", "chroot")]
    public void AlpineApk_VerifiesAndInstallsASyntheticRepository()
    {
        using var repo = new SyntheticRepository("x86_64");
        repo.Add(
            new SyntheticPackage("hello", "1.0-r0")
            {
                Depends = ["so:libgreet.so.1"],
                Files = [SyntheticFile.Directory("usr"), SyntheticFile.Directory("usr/bin"), SyntheticFile.Text("usr/bin/hello", "#!/bin/sh\necho hi\n", 0b111_101_101)],
            },
            new SyntheticPackage("libgreet", "2.1-r3")
            {
                Provides = ["so:libgreet.so.1=1.0"],
                Files = [SyntheticFile.Directory("usr"), SyntheticFile.Directory("usr/lib"), SyntheticFile.Text("usr/lib/libgreet.so.1", "ELF"), SyntheticFile.Symlink("usr/lib/libgreet.so", "libgreet.so.1")],
            },
            new SyntheticPackage("empty", "1-r0")).Write();
        using var alpine = new AlpineChroot();
        alpine.CopyIn(repo.Base, "/repo");
        alpine.CopyIn(repo.KeysDir, "/target/etc/apk/keys");
        File.WriteAllText(alpine.HostPath("/target/etc/apk/arch"), "x86_64\n");

        var verify = alpine.Apk("verify", "--root", "/target", "/repo/x86_64/hello-1.0-r0.apk", "/repo/x86_64/empty-1-r0.apk");
        Assert.True(verify.ExitCode == 0, verify.Output);

        Assert.Equal(0, alpine.Apk("add", "--initdb", "--root", "/target", "--no-cache").ExitCode);
        var add = alpine.Apk("add", "--root", "/target", "--repository", "/repo", "--no-cache", "hello", "empty");

        Assert.True(add.ExitCode == 0, add.Output);
        Assert.Contains("Installing libgreet (2.1-r3)", add.Output);
        Assert.Equal("#!/bin/sh\necho hi\n", File.ReadAllText(alpine.HostPath("/target/usr/bin/hello")));
        Assert.Equal("libgreet.so.1", new FileInfo(alpine.HostPath("/target/usr/lib/libgreet.so")).LinkTarget);
    }

    [ToolFact("tar", "chroot")]
    public void AlpineApk_RefusesTheSameFaultsThatPkg2dRefuses()
    {
        using var repo = new SyntheticRepository("x86_64");
        repo.Add(
            new SyntheticPackage("stranger", "1-r0") { Faults = PackageFault.UnknownKey },
            new SyntheticPackage("forged", "1-r0") { Faults = PackageFault.BadSignature }).Write();
        using var alpine = new AlpineChroot();
        alpine.CopyIn(repo.Base, "/repo");
        alpine.CopyIn(repo.KeysDir, "/target/etc/apk/keys");

        Assert.NotEqual(0, alpine.Apk("verify", "--root", "/target", "/repo/x86_64/stranger-1-r0.apk").ExitCode);
        Assert.NotEqual(0, alpine.Apk("verify", "--root", "/target", "/repo/x86_64/forged-1-r0.apk").ExitCode);
    }
}
