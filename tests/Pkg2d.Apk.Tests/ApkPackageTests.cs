using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Format;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class ApkPackageTests
{
    [FixtureTheory]
    [InlineData("busybox-1.37.0-r14.apk", "bin/busybox")]
    [InlineData("alpine-keys-2.5-r0.apk", "usr/share/apk/keys/x86_64/alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub")]
    public void Package_without_an_index_is_signed_and_its_data_matches_every_pax_checksum(string fileName, string expectedPath)
    {
        var path = Fixtures.Path("apk", "x86_64", fileName);
        var checkedEntries = new List<string>();
        using var file = File.OpenRead(path);
        var apk = ApkPackage.Read(file, path, data => checkedEntries.AddRange(WalkAndCheck(data, path, requireSha1: true)));

        var signature = Assert.Single(apk.Signatures);
        Assert.Equal("alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub", signature.KeyName);
        Assert.True(TestData.Keys.Verify(signature, apk.ControlSha1, apk.ControlSha256));
        Assert.Equal(apk.PkgInfo.DataHash, Convert.ToHexStringLower(apk.DataSha256));
        Assert.Equal(new FileInfo(path).Length, apk.TotalLength);
        Assert.Contains(expectedPath, checkedEntries);
    }

    [FixtureFact]
    public void Busybox_pkginfo_parses()
    {
        var path = Fixtures.Path("apk", "x86_64", "busybox-1.37.0-r14.apk");
        using var file = File.OpenRead(path);
        var apk = ApkPackage.Read(file, path);
        var info = apk.PkgInfo;

        Assert.Equal("busybox", info.PkgName);
        Assert.Equal("1.37.0-r14", info.PkgVer);
        Assert.Equal("x86_64", info.Arch);
        Assert.Equal("busybox", info.Origin);
        Assert.Equal(817257, info.Size);
        Assert.Equal(1763903404, info.BuildDate);
        Assert.Equal("GPL-2.0-only", info.License);
        Assert.Equal("https://busybox.net/", info.Url);
        Assert.Equal(["so:libc.musl-x86_64.so.1"], info.Depends);
        Assert.Equal(["cmd:busybox=1.37.0-r14"], info.Provides);
        Assert.Equal(["busybox-initscripts"], info.Replaces);
        Assert.Equal(["/bin", "/usr/bin", "/sbin", "/usr/sbin", "/lib/modules/*", "/usr/lib/modules/*"], info.Triggers);
        Assert.Equal(64, info.DataHash!.Length);
        Assert.DoesNotContain(info.Fields, f => f.Key.StartsWith('#'));
        Assert.Equal("pkgname", info.Fields[0].Key);
        Assert.Equal([".post-install", ".post-upgrade", ".trigger"], apk.Scripts.Keys);
        Assert.StartsWith("#!", Encoding.UTF8.GetString(apk.Scripts[".trigger"]));
        Assert.Equal("busybox-1.37.0-r14", apk.ToString());
    }

    [FixtureFact]
    public void Old_mirror_packages_walk_and_match_their_checksums()
    {
        foreach (var path in TestData.MirrorPackages)
        {
            var entries = new List<string>();
            using var file = File.OpenRead(path);
            var apk = ApkPackage.Read(file, path, data => entries.AddRange(WalkAndCheck(data, path, requireSha1: true)));
            Assert.Equal(apk.PkgInfo.DataHash, Convert.ToHexStringLower(apk.DataSha256));
            Assert.All(entries, e => Assert.False(e.StartsWith('/') || e.StartsWith("./", StringComparison.Ordinal), e));
        }
    }

    [FixtureFact]
    public void Aarch64_package_reads()
    {
        var path = Fixtures.Path("apk", "aarch64", "alpine-baselayout-3.2.0-r23.apk");
        using var file = File.OpenRead(path);
        var entries = new List<string>();
        var apk = ApkPackage.Read(file, path, data => entries.AddRange(WalkAndCheck(data, path, requireSha1: false)));
        Assert.Equal("alpine-baselayout", apk.PkgInfo.PkgName);
        Assert.Equal("alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub", apk.Signature!.KeyName);
        Assert.True(TestData.Keys.Verify(apk.Signature, apk.ControlSha1, apk.ControlSha256));
        Assert.Contains("etc", entries);
    }

    [Fact]
    public void Pkginfo_keeps_repeated_keys_in_order_and_skips_comments()
    {
        var info = PkgInfo.Parse("# comment\npkgname = a\npkgver = 1-r0\ndepend = x\nprovides = p=1\ndepend = y>=2\ninstall_if = b c\nprovider_priority = 10\nurl =\n", "a.apk");
        Assert.Equal(["pkgname", "pkgver", "depend", "provides", "depend", "install_if", "provider_priority", "url"], info.Fields.Select(f => f.Key));
        Assert.Equal(["x", "y>=2"], info.Depends);
        Assert.Equal(["b", "c"], info.InstallIf);
        Assert.Equal(10, info.ProviderPriority);
        Assert.Equal("", info.Url);
        var e = Assert.Throws<ApkFormatException>(() => PkgInfo.Parse("pkgname = a\npkgver = 1\nsize: 3\n", "bad.apk"));
        Assert.Contains("bad.apk", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Gnu_data_tar_without_pax_records_walks()
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Gnu, leaveOpen: true))
        {
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./"));
            writer.WriteEntry(new GnuTarEntry(TarEntryType.Directory, "./usr/bin/") { Mode = Octal("755"), Uid = 0, UserName = "root" });
            writer.WriteEntry(new GnuTarEntry(TarEntryType.RegularFile, "./usr/bin/tool")
            {
                DataStream = new MemoryStream("#!/bin/sh\n"u8.ToArray()),
                Mode = Octal("4755"),
                Gid = 42,
                GroupName = "shadow",
                ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1_500_000_000),
            });
            writer.WriteEntry(new GnuTarEntry(TarEntryType.SymbolicLink, "./usr/bin/alias") { LinkName = "tool" });
            writer.WriteEntry(new GnuTarEntry(TarEntryType.HardLink, "./usr/bin/copy") { LinkName = "./usr/bin/tool" });
        }
        tar.Position = 0;

        var entries = ApkDataTar.Read(tar, "gnu.apk").Select(e =>
        {
            var content = e.Content is null ? null : new StreamReader(e.Content).ReadToEnd();
            return (e.Path, e.Type, e.Mode, e.Gid, e.GroupName, e.ModificationTime, e.LinkTarget, e.Sha1, content);
        }).ToList();

        Assert.Equal(["usr/bin", "usr/bin/tool", "usr/bin/alias", "usr/bin/copy"], entries.Select(e => e.Path));
        var tool = entries[1];
        Assert.Equal((TarEntryType.RegularFile, Octal("4755"), 42, "shadow"), (tool.Type, tool.Mode, tool.Gid, tool.GroupName));
        Assert.Equal(1_500_000_000, tool.ModificationTime.ToUnixTimeSeconds());
        Assert.Equal("#!/bin/sh\n", tool.content);
        Assert.All(entries, e => Assert.Null(e.Sha1));
        Assert.Equal("tool", entries[2].LinkTarget);
        Assert.Equal("usr/bin/tool", entries[3].LinkTarget);
    }

    [Fact]
    public void Data_paths_are_normalised_and_may_not_escape()
    {
        Assert.Equal("usr/bin", ApkDataTar.Normalize("./usr/bin/", "p.apk"));
        Assert.Equal("etc/x", ApkDataTar.Normalize("/etc//x", "p.apk"));
        Assert.Contains("p.apk", Assert.Throws<ApkFormatException>(() => ApkDataTar.Normalize("usr/../../etc", "p.apk")).Message);
    }

    [Fact]
    public void Empty_and_garbage_packages_are_errors_naming_the_file()
    {
        Assert.Contains("empty.apk", Assert.ThrowsAny<ApkFormatException>(() => ApkPackage.Read(new MemoryStream(), "empty.apk")).Message);
        var garbage = Encoding.ASCII.GetBytes("<html>not a package</html>");
        Assert.Contains("junk.apk", Assert.ThrowsAny<ApkFormatException>(() => ApkPackage.Read(new MemoryStream(garbage), "junk.apk")).Message);
    }

    private static UnixFileMode Octal(string mode) => (UnixFileMode)Convert.ToInt32(mode, 8);

    /// <summary>Walks a data tar, checking each PAX SHA-1 against the content or link target; returns the paths.</summary>
    private static IEnumerable<string> WalkAndCheck(Stream data, string source, bool requireSha1)
    {
        var paths = new List<string>();
        foreach (var entry in ApkDataTar.Read(data, source))
        {
            paths.Add(entry.Path);
            Assert.False(entry.Path.StartsWith('/') || entry.Path.EndsWith('/'), entry.Path);
            if (entry.IsRegularFile)
            {
                var content = new MemoryStream();
                entry.Content?.CopyTo(content);
                Assert.Equal(entry.Size, content.Length);
                if (requireSha1 || entry.Sha1 is not null)
                    Assert.Equal(entry.Sha1, TestData.Sha1Hex(content.ToArray()));
            }
            else if (entry.Type == TarEntryType.SymbolicLink)
            {
                Assert.False(string.IsNullOrEmpty(entry.LinkTarget));
                if (requireSha1 || entry.Sha1 is not null)
                    Assert.Equal(entry.Sha1, TestData.Sha1Hex(Encoding.UTF8.GetBytes(entry.LinkTarget!)));
            }
        }
        return paths;
    }
}
