using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Image.Packages;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

public class PackageScannerTests
{
    private static (PackageFacts Facts, string Path) ScanOne(SyntheticPackage package)
    {
        using var repo = new SyntheticRepository().Add(package).Write();
        var keys = TrustedKeys.Load([repo.KeysDir]);
        using var index = File.OpenRead(repo.IndexPath);
        var entry = ApkIndexReader.ReadSigned(index, repo.ArchDir, repo.IndexPath, keys, false, null).Entries.Single();
        var copy = System.IO.Path.GetTempFileName();
        File.Copy(repo.PathOf(package), copy, overwrite: true);
        return (PackageScanner.Scan(copy, entry, keys, allowUntrusted: false, warn: null), copy);
    }

    private static Exception ScanFails(params SyntheticFile[] files)
    {
        var package = new SyntheticPackage("bad", "1.0-r0") { Files = [.. files] };
        return Assert.ThrowsAny<ApkFormatException>(() => ScanOne(package));
    }

    [Fact]
    public void FactsDescribeTheDataMemberAsALayer()
    {
        var package = new SyntheticPackage("demo", "2.1-r3")
        {
            Files =
            [
                SyntheticFile.Directory("usr"), SyntheticFile.Directory("usr/bin"),
                SyntheticFile.Text("usr/bin/demo", "#!/bin/sh\necho demo\n", 0b111_101_101),
                SyntheticFile.Symlink("usr/bin/demo2", "demo"),
                SyntheticFile.Directory("etc"), SyntheticFile.Directory("etc/busybox-paths.d"),
                SyntheticFile.Text("etc/busybox-paths.d/busybox", "bin/ls\nusr/bin/[\n\n"),
            ],
            Scripts = { [".post-install"] = "#!/bin/sh\ntrue\n" },
            Triggers = ["/usr/bin"],
        };
        var (facts, path) = ScanOne(package);
        try
        {
            using var file = File.OpenRead(path);
            using var data = new RangeStream(file, facts.DataOffset, facts.DataLength);
            var compressed = new MemoryStream();
            data.CopyTo(compressed);
            Assert.Equal(facts.DataLength, compressed.Length);
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(compressed.ToArray())), facts.LayerDigest);
            compressed.Position = 0;
            var tar = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionMode.Decompress))
                gzip.CopyTo(tar);
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToArray())), facts.DiffId);
            Assert.Equal(tar.Length, facts.DiffSize);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(["usr", "usr/bin", "usr/bin/demo", "usr/bin/demo2", "etc", "etc/busybox-paths.d", "etc/busybox-paths.d/busybox"],
            facts.Files.Select(f => f.Path));
        var demo = facts.Files.Single(f => f.Path == "usr/bin/demo");
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes("#!/bin/sh\necho demo\n"))), demo.Sha1);
        Assert.Equal(0b111_101_101, demo.Mode);
        var link = facts.Files.Single(f => f.Path == "usr/bin/demo2");
        Assert.Equal((PackageFileType.Symlink, "demo"), (link.Type, link.LinkTarget));
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData("demo"u8)), link.Sha1);
        Assert.Equal(["etc/busybox-paths.d/busybox"], facts.KeptContents.Keys);
        Assert.Equal("bin/ls\nusr/bin/[\n\n", Encoding.UTF8.GetString(facts.KeptContents["etc/busybox-paths.d/busybox"]));
        Assert.Equal([".post-install"], facts.Scripts.Select(s => s.Name));
        Assert.Equal(["/usr/bin"], facts.Triggers);
        Assert.Equal('C', facts.Record[0].Key);
        Assert.Equal(("demo", "2.1-r3"), (facts.Name, facts.Version));
    }

    [Fact]
    public void PathThatEscapesTheRootIsRejected()
    {
        var error = ScanFails(SyntheticFile.Text("../escape", "x"));
        Assert.Contains("bad-1.0-r0", error.Message);
        Assert.Contains("../escape", error.Message);
    }

    [Fact]
    public void AbsolutePathIsRejected()
    {
        var error = ScanFails(SyntheticFile.Text("/etc/absolute", "x"));
        Assert.Contains("bad-1.0-r0", error.Message);
        Assert.Contains("absolute path", error.Message);
    }

    [Fact]
    public void FileThroughASymlinkOfTheSamePackageIsRejected()
    {
        var error = ScanFails(SyntheticFile.Symlink("lib64", "/etc"), SyntheticFile.Text("lib64/passwd", "root::0:0::/:/bin/sh\n"));
        Assert.Contains("lib64/passwd", error.Message);
        Assert.Contains("symlink", error.Message);
    }

    [Fact]
    public void WhiteoutNameIsRejected()
    {
        var error = ScanFails(SyntheticFile.Text("etc/.wh.passwd", ""));
        Assert.Contains("whiteout", error.Message);
    }

    [FixtureFact]
    public void OldPackagesGetChecksumsForEveryFileAndSymlink()
    {
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        var armhf = Path.Combine(Fixtures.MirrorBase, "armhf");
        using var index = File.OpenRead(Path.Combine(armhf, "APKINDEX.tar.gz"));
        var entries = ApkIndexReader.ReadSigned(index, armhf, "v3.7 index", keys, false, null).Entries;
        var busybox = entries.Single(e => e.Name == "busybox" && File.Exists(Path.Combine(armhf, e.FileName)));

        var facts = PackageScanner.Scan(Path.Combine(armhf, busybox.FileName), busybox, keys, false, null);

        Assert.Contains(facts.Files, f => f.Path == "bin/busybox" && f.Type == PackageFileType.File);
        Assert.All(facts.Files.Where(f => f.Type is PackageFileType.File or PackageFileType.Symlink), f => Assert.Matches("^[0-9a-f]{40}$", f.Sha1));
        Assert.NotEmpty(facts.Scripts);
        Assert.Equal(busybox.BuildTime, facts.BuildDate);
    }
}
