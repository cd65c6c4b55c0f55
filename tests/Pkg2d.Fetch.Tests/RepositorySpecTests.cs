using System.Runtime.InteropServices;
using Pkg2d.Fetch;

namespace Pkg2d.Fetch.Tests;

public class RepositorySpecTests
{
    [Fact]
    public void RepositoryBase_ReadsIndexAndPackagesBelowTheArchFolder()
    {
        var spec = RepositorySpec.Parse("https://dl-cdn.alpinelinux.org/alpine/v3.20/main/");

        Assert.Equal(RepositoryKind.Base, spec.Kind);
        Assert.Null(spec.Tag);
        var mirror = Assert.Single(spec.Mirrors);
        Assert.Equal("https://dl-cdn.alpinelinux.org/alpine/v3.20/main", mirror);
        Assert.Equal("https://dl-cdn.alpinelinux.org/alpine/v3.20/main/aarch64/APKINDEX.tar.gz", spec.IndexLocation(mirror, "aarch64"));
        Assert.Equal("https://dl-cdn.alpinelinux.org/alpine/v3.20/main/aarch64", spec.PackageFolder(mirror, "aarch64"));
    }

    [Fact]
    public void TaggedLineWithMirrors_KeepsTagAndMirrorOrder()
    {
        var spec = RepositorySpec.Parse("@edge  http://a.example/alpine/edge/testing\thttps://b.example/edge/testing");

        Assert.Equal("edge", spec.Tag);
        Assert.Equal(["http://a.example/alpine/edge/testing", "https://b.example/edge/testing"], spec.Mirrors);
        Assert.Equal("@edge http://a.example/alpine/edge/testing https://b.example/edge/testing", spec.ToString());
    }

    [Fact]
    public void DirectIndexArchive_PackagesResolveAgainstItsFolder()
    {
        var spec = RepositorySpec.Parse("https://example.org/repo/x86_64/APKINDEX.tar.gz");

        Assert.Equal(RepositoryKind.IndexArchive, spec.Kind);
        var mirror = spec.Mirrors[0];
        Assert.Equal(mirror, spec.IndexLocation(mirror, "aarch64"));
        Assert.Equal("https://example.org/repo/x86_64", spec.PackageFolder(mirror, "aarch64"));
    }

    [Fact]
    public void PlainTextIndexPath_IsIndexText()
    {
        var spec = RepositorySpec.Parse("/srv/repo/armhf/APKINDEX");

        Assert.Equal(RepositoryKind.IndexText, spec.Kind);
        Assert.Equal("/srv/repo/armhf", spec.PackageFolder(spec.Mirrors[0], "x86_64"));
    }

    [Fact]
    public void FileUrlAndRelativePath_BecomeAbsolutePaths()
    {
        var file = RepositorySpec.Parse("file:///srv/alpine/v3.7/main/");
        Assert.Equal("/srv/alpine/v3.7/main", file.Mirrors[0]);
        Assert.Equal("/srv/alpine/v3.7/main/armhf/APKINDEX.tar.gz", file.IndexLocation(file.Mirrors[0], "armhf"));

        var relative = RepositorySpec.Parse("repo/main");
        Assert.Equal(Path.GetFullPath("repo/main"), relative.Mirrors[0]);
    }

    [Fact]
    public void PackageFileNames_AreEscapedInUrlsOnly()
    {
        Assert.Equal("https://example.org/x86_64/libstdc%2B%2B-6.4.0-r5.apk", Location.Combine("https://example.org/x86_64", "libstdc++-6.4.0-r5.apk"));
        Assert.Equal("/srv/x86_64/libstdc++-6.4.0-r5.apk", Location.Combine("/srv/x86_64", "libstdc++-6.4.0-r5.apk"));
    }

    [Theory]
    [InlineData("ftp://example.org/alpine/main")]
    [InlineData("@ https://example.org/main")]
    [InlineData("@tag")]
    [InlineData("file://remotehost/srv/repo")]
    [InlineData("https://example.org/main https://example.org/x86_64/APKINDEX.tar.gz")]
    public void InvalidLines_AreRejected(string line)
    {
        Assert.Throws<FormatException>(() => RepositorySpec.Parse(line));
    }

    [Fact]
    public void RepositoriesFile_SkipsCommentsAndBlankLines_KeepsOrderAndTags()
    {
        const string text = """
            # Alpine repositories
            https://dl-cdn.alpinelinux.org/alpine/v3.20/main

              https://dl-cdn.alpinelinux.org/alpine/v3.20/community
            #https://dl-cdn.alpinelinux.org/alpine/edge/main
            @testing https://dl-cdn.alpinelinux.org/alpine/edge/testing
            """;

        var specs = RepositoriesFile.Parse(new StringReader(text), "repositories");

        Assert.Equal(
            ["https://dl-cdn.alpinelinux.org/alpine/v3.20/main", "https://dl-cdn.alpinelinux.org/alpine/v3.20/community", "https://dl-cdn.alpinelinux.org/alpine/edge/testing"],
            specs.Select(s => s.Mirrors[0]));
        Assert.Equal([null, null, "testing"], specs.Select(s => s.Tag));
    }

    [Fact]
    public void RepositoriesFile_ErrorNamesFileAndLine()
    {
        var e = Assert.Throws<FormatException>(() => RepositoriesFile.Parse(new StringReader("# ok\nhttps://a.example/main\n@broken\n"), "/etc/apk/repositories"));

        Assert.Contains("/etc/apk/repositories: line 3", e.Message);
    }

    [Fact]
    public void NoRepositoryGiven_MeansLatestStableMainAndCommunity()
    {
        var specs = new RepositoryOptions().ResolveRepositories();

        Assert.Equal(
            ["https://dl-cdn.alpinelinux.org/alpine/latest-stable/main", "https://dl-cdn.alpinelinux.org/alpine/latest-stable/community"],
            specs.Select(s => s.Mirrors[0]));
    }

    [Fact]
    public void RepositoriesFileComesBeforeRepoOptions()
    {
        using var dir = new Pkg2d.Testing.TempDirectory();
        var file = dir.Combine("repositories");
        File.WriteAllText(file, "@old /srv/old\n");

        var specs = new RepositoryOptions { RepositoriesFile = file, Repositories = ["/srv/new"] }.ResolveRepositories();

        Assert.Equal(["/srv/old", "/srv/new"], specs.Select(s => s.Mirrors[0]));
        Assert.Equal("old", specs[0].Tag);
    }

    [Theory]
    [InlineData(Architecture.X64, "x86_64")]
    [InlineData(Architecture.Arm64, "aarch64")]
    [InlineData(Architecture.Arm, "armv7")]
    [InlineData(Architecture.Armv6, "armhf")]
    [InlineData(Architecture.X86, "x86")]
    [InlineData(Architecture.Ppc64le, "ppc64le")]
    [InlineData(Architecture.S390x, "s390x")]
    [InlineData(Architecture.RiscV64, "riscv64")]
    public void DotNetArchitectures_MapToAlpineNames(Architecture architecture, string alpine)
    {
        Assert.Equal(alpine, AlpineArch.FromArchitecture(architecture));
        Assert.Equal(alpine, AlpineArch.Validate(alpine));
    }

    [Fact]
    public void HostArch_IsAKnownAlpineArch()
    {
        Assert.Contains(AlpineArch.Host(), AlpineArch.Known);
    }

    [Theory]
    [InlineData("amd64")]
    [InlineData("arm64")]
    [InlineData("X86_64")]
    [InlineData("")]
    public void UnknownArch_IsRejectedNamingTheKnownOnes(string arch)
    {
        var e = Assert.Throws<ArgumentException>(() => AlpineArch.Validate(arch));

        Assert.Contains($"'{arch}'", e.Message);
        Assert.Contains("aarch64", e.Message);
    }
}
