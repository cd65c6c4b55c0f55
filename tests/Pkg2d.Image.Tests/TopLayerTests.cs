using System.Formats.Tar;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Install;
using Pkg2d.Image.Packages;
using Pkg2d.Image.TopLayer;

namespace Pkg2d.Image.Tests;

public class TopLayerTests
{
    private static PackageFacts Package(string name, params PackageFile[] files) => new()
    {
        Key = "k-" + name, Name = name, Version = "1.0-r0", DataOffset = 0, DataLength = 1, LayerDigest = "", DiffId = "",
        DiffSize = 0, BuildDate = 1_700_000_000, Record = [new('P', name), new('V', "1.0-r0")], Files = files,
    };

    private static PackageFile Entry(string path, PackageFileType type, string? target = null) =>
        new(path, type, type == PackageFileType.Directory ? 0b111_101_101 : 0b110_100_100, 0, 0, null, target, 0);

    private static List<TarEntry> Build(params PackageFacts[] packages) => Read(Bytes(packages));

    private static byte[] Bytes(params PackageFacts[] packages)
    {
        var created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var install = InstallSimulator.Run(packages, created);
        TopLayerBuilder.AddApkFiles(new TopLayerSpec
        {
            Packages = packages, World = ["b", "a", "b"], Repositories = ["https://example.org/alpine/v3.20/main"], Arch = "x86_64",
            Keys = [new("test.rsa.pub", "key\n"u8.ToArray())], Created = created,
        }, install);
        var parts = TopLayerBuilder.Build(install.Root, LayerStack.Unpack(packages, install.Rewrites), created);
        Assert.True(DerivedLayer.IsOwnOnly(parts));
        using var layer = DerivedLayer.Create(parts, DerivedLayer.ComputeDigests(parts, _ => Stream.Null), _ => Stream.Null).Open();
        var output = new MemoryStream();
        layer.CopyTo(output);
        return output.ToArray();
    }

    private static List<TarEntry> Read(byte[] tar)
    {
        var entries = new List<TarEntry>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } entry)
            entries.Add(entry);
        return entries;
    }

    [Fact]
    public void NeverReplacesADirectoryOrLinkThatAPackageOwnsAndMovesApkDatabaseThroughAMergedLib()
    {
        var merged = Package("merged-usr", Entry("usr", PackageFileType.Directory), Entry("usr/lib", PackageFileType.Directory),
            Entry("usr/bin", PackageFileType.Directory), Entry("bin", PackageFileType.Symlink, "usr/bin"),
            Entry("lib", PackageFileType.Symlink, "usr/lib"), Entry("etc", PackageFileType.Directory));
        var names = Build(merged).Select(e => e.Name).ToArray();

        Assert.DoesNotContain("lib/", names);
        Assert.DoesNotContain("bin/", names);
        Assert.DoesNotContain("etc/", names);
        Assert.DoesNotContain("lib/apk/db/installed", names);
        Assert.Contains("usr/lib/apk/db/installed", names);
        Assert.Contains("etc/apk/keys/test.rsa.pub", names);
    }

    [Fact]
    public void BusyboxLinksAreMadeByItsPostInstallAroundFilesThatPackagesOwnAndOldBusyboxIsPending()
    {
        var script = new PackageScript(".post-install", "#!/bin/busybox sh\n/bin/busybox mkdir -p \"/bin\" \"/usr/bin\"\n/bin/busybox --install -s || exit 1\nexit 0\n"u8.ToArray());
        var executable = Entry("bin/busybox", PackageFileType.File) with { Mode = 0b111_101_101 };
        var busybox = Package("busybox", Entry("bin", PackageFileType.Directory), executable, Entry("etc", PackageFileType.Directory),
            Entry("etc/busybox-paths.d", PackageFileType.Directory), Entry("etc/busybox-paths.d/busybox", PackageFileType.File)) with
        {
            KeptContents = new Dictionary<string, byte[]> { ["etc/busybox-paths.d/busybox"] = "bin/ls\nusr/bin/env\nbin/cat\n"u8.ToArray() },
            Scripts = [script],
        };
        var coreutils = Package("coreutils", Entry("bin/cat", PackageFileType.File));
        // coreutils comes later and replaces the link busybox made; its own layer carries bin/cat.
        var links = Build(busybox, coreutils).Where(e => e.EntryType == TarEntryType.SymbolicLink).ToDictionary(e => e.Name, e => e.LinkName);
        Assert.Equal(new Dictionary<string, string> { ["bin/ls"] = "/bin/busybox", ["usr/bin/env"] = "/bin/busybox" }, links);

        // A busybox that does not list its applets cannot be emulated: its script stays whole for /.pkg/install.sh.
        var old = Package("busybox", Entry("bin", PackageFileType.Directory), executable) with { Scripts = [script] };
        var entries = Build(old);
        Assert.DoesNotContain(entries, e => e.EntryType == TarEntryType.SymbolicLink);
        Assert.Contains(".pkg/busybox-1.0-r0/post-install", entries.Select(e => e.Name));
    }

    [Fact]
    public void TopLevelDotfilesAreWhitedOutAndOwnersComeFromTheAccountsByName()
    {
        var baselayout = Package("alpine-baselayout", Entry("etc", PackageFileType.Directory), Entry("etc/passwd", PackageFileType.File),
            Entry("etc/group", PackageFileType.File)) with
        {
            KeptContents = new Dictionary<string, byte[]>
            {
                ["etc/passwd"] = "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:102::/var/lib/nginx:/sbin/nologin\n"u8.ToArray(),
                ["etc/group"] = "root:x:0:root\nnginx:x:102:nginx\n"u8.ToArray(),
            },
        };
        var nginx = Package("nginx", Entry(".dummy", PackageFileType.File), Entry("var", PackageFileType.Directory),
            Entry("var/lib", PackageFileType.Directory),
            Entry("var/lib/nginx", PackageFileType.Directory) with { Uid = 1234, Gid = 1234, UserName = "nginx", GroupName = "nginx" });
        var entries = Build(baselayout, nginx);

        Assert.Contains(".wh..dummy", entries.Select(e => e.Name));
        var directory = entries.Single(e => e.Name == "var/lib/nginx/");
        Assert.Equal((101, 102), (directory.Uid, directory.Gid));
        var installed = new StreamReader(entries.Single(e => e.Name == "lib/apk/db/installed").DataStream!).ReadToEnd();
        Assert.Contains("F:var/lib/nginx\nM:101:102:755\n", installed);
        Assert.DoesNotContain("dummy", installed);
    }

    [Fact]
    public void TheSameInputsGiveTheSameBytesAndEveryEntryCarriesTheImageTime()
    {
        var package = Package("demo", Entry("etc", PackageFileType.Directory), Entry("usr", PackageFileType.Directory),
            Entry("usr/share", PackageFileType.Directory), Entry("usr/share/demo", PackageFileType.Directory)) with
        {
            Scripts = [new(".post-install", "#!/bin/sh\nif true; then :; fi\n"u8.ToArray()), new(".trigger", "#!/bin/sh\n"u8.ToArray())],
            Triggers = ["/usr/share/demo"],
        };
        var bytes = Bytes(package);
        Thread.Sleep(1100);
        Assert.Equal(bytes, Bytes(package));
        var first = Read(bytes);
        Assert.All(first, e => Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), e.ModificationTime));
        var world = first.Single(e => e.Name == "etc/apk/world");
        Assert.Equal("a\nb\n", new StreamReader(world.DataStream!).ReadToEnd());
        var install = new StreamReader(first.Single(e => e.Name == ".pkg/install.sh").DataStream!).ReadToEnd();
        Assert.Contains("run demo-1.0-r0 post-install 1.0-r0\n", install);
        Assert.Contains("trigger demo-1.0-r0 /usr/share/demo\n", install);
        Assert.Contains(".pkg/demo-1.0-r0/post-install", first.Select(e => e.Name));
    }
}
