using System.Formats.Tar;
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
        var output = new MemoryStream();
        TopLayerBuilder.Write(new TopLayerSpec
        {
            Packages = packages, World = ["b", "a", "b"], Repositories = ["https://example.org/alpine/v3.20/main"], Arch = "x86_64",
            Keys = [new("test.rsa.pub", "key\n"u8.ToArray())], Created = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        }, output);
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
    public void NeverReplacesADirectoryOrLinkThatAPackageOwns()
    {
        var merged = Package("merged-usr", Entry("usr", PackageFileType.Directory), Entry("usr/lib", PackageFileType.Directory),
            Entry("lib", PackageFileType.Symlink, "usr/lib"), Entry("etc", PackageFileType.Directory));
        var names = Build(merged).Select(e => e.Name).ToArray();

        Assert.DoesNotContain("lib/", names);
        Assert.DoesNotContain("etc/", names);
        Assert.Contains("lib/apk/", names);
        Assert.Contains("lib/apk/db/installed", names);
        Assert.Contains("etc/apk/keys/test.rsa.pub", names);
    }

    [Fact]
    public void BusyboxLinksSkipFilesThatPackagesOwnAndOldBusyboxGetsAShell()
    {
        var busybox = Package("busybox", Entry("bin", PackageFileType.Directory), Entry("bin/busybox", PackageFileType.File)) with
        {
            BusyboxLinks = ["bin/ls", "usr/bin/env", "bin/cat"],
        };
        var coreutils = Package("coreutils", Entry("bin/cat", PackageFileType.File));

        var links = Build(busybox, coreutils).Where(e => e.EntryType == TarEntryType.SymbolicLink).ToDictionary(e => e.Name, e => e.LinkName);
        Assert.Equal(new Dictionary<string, string> { ["bin/ls"] = "/bin/busybox", ["usr/bin/env"] = "/bin/busybox" }, links);

        var old = Package("busybox", Entry("bin", PackageFileType.Directory), Entry("bin/busybox", PackageFileType.File));
        Assert.Equal(["bin/sh"], Build(old).Where(e => e.EntryType == TarEntryType.SymbolicLink).Select(e => e.Name));
    }

    [Fact]
    public void TheSameInputsGiveTheSameBytesAndEveryEntryCarriesTheImageTime()
    {
        var package = Package("demo", Entry("etc", PackageFileType.Directory)) with
        {
            Scripts = [new(".post-install", "#!/bin/sh\n"u8.ToArray()), new(".trigger", "#!/bin/sh\n"u8.ToArray())],
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
