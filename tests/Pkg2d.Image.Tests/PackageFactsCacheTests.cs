using System.Text.Json;
using System.Text.Json.Serialization;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

public class PackageFactsCacheTests
{
    private static readonly PackageFacts Facts = new()
    {
        Key = "Q1abc", Name = "demo", Version = "1.0-r0", DataOffset = 512, DataLength = 1024,
        LayerDigest = "sha256:" + new string('a', 64), DiffId = "sha256:" + new string('b', 64), DiffSize = 4096,
        BuildDate = 1700000000, SignedBy = "alpine@example.rsa.pub", ReplacesPriority = 5,
        Record = [new('P', "demo"), new('V', "1.0-r0"), new('o', "demo-origin")],
        Replaces = ["old-demo"], Triggers = ["/usr/bin"], BusyboxApplets = ["bin/ls"],
        Files =
        [
            new("etc", PackageFileType.Directory, 0b111_101_101, 0, 0, null, null, 0),
            new("etc/motd", PackageFileType.File, 0b110_100_100, 100, 101, new string('c', 40), null, 5) { UserName = "demo", GroupName = "demo" },
            new("bin/sh", PackageFileType.Symlink, 0b111_111_111, 0, 0, null, "busybox", 0),
            new("bin/ash", PackageFileType.HardLink, 0b111_101_101, 0, 0, null, "bin/busybox", 0),
        ],
        Scripts = [new(".post-install", "#!/bin/sh\n"u8.ToArray())],
        KeptContents = new Dictionary<string, byte[]> { ["etc/passwd"] = "root:x:0:0::/root:/bin/sh\n"u8.ToArray() },
    };

    /// <summary>The options the cache was written with before its serializers were generated.</summary>
    private static readonly JsonSerializerOptions Reflection = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    [Fact]
    public void FactsRoundTripAndKeepTheFormatThatCachesOnDiskAlreadyHave()
    {
        using var dir = new TempDirectory("pkg2d-facts-");
        var cache = new PackageFactsCache(dir.Path);
        cache.Put(Facts);

        var written = File.ReadAllText(Path.Combine(cache.Directory, Facts.Key + ".json"));
        Assert.Equal(JsonSerializer.Serialize(Facts, Reflection), written);
        Assert.Contains("\"type\":\"hardLink\"", written);
        var read = cache.TryGet(Facts.Key);
        Assert.NotNull(read);
        Assert.Equal(written, JsonSerializer.Serialize(read, Reflection));
    }

    [Fact]
    public void DerivedDigestsRoundTrip()
    {
        using var dir = new TempDirectory("pkg2d-facts-");
        var cache = new PackageFactsCache(dir.Path);
        var digest = Digest.Parse("sha256:" + new string('d', 64));
        cache.PutDerived("derived", new LayerDigests(digest, 42, digest));

        Assert.Equal(new LayerDigests(digest, 42, digest), cache.TryGetDerived("derived"));
        Assert.Null(cache.TryGetDerived("missing"));
    }

    [Fact]
    public void ADamagedEntryIsForgotten()
    {
        using var dir = new TempDirectory("pkg2d-facts-");
        var cache = new PackageFactsCache(dir.Path);
        Directory.CreateDirectory(cache.Directory);
        var path = Path.Combine(cache.Directory, "broken.json");
        File.WriteAllText(path, "{\"key\":");

        Assert.Null(cache.TryGet("broken"));
        Assert.False(File.Exists(path));
    }
}
