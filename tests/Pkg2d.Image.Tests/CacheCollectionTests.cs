using System.Text.Json.Nodes;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Image.Catalog;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

/// <summary>
/// What the daemon keeps about images between refreshes and collects when nothing needs it any more: package facts,
/// derived-layer records, retained images and kept resolutions.
/// </summary>
public sealed class CacheCollectionTests : IDisposable
{
    private const string Arch = "armhf";

    private static readonly Lazy<ApkIndex> MirrorIndex = new(() =>
    {
        var armhf = Path.Combine(Fixtures.MirrorBase, "armhf");
        using var index = File.OpenRead(Path.Combine(armhf, "APKINDEX.tar.gz"));
        return ApkIndexReader.ReadSigned(index, armhf, "v3.7 main armhf", TrustedKeys.Load([Fixtures.KeysDir]), false, null);
    });

    private readonly TempDirectory _dir = new("pkg2d-collect-");

    public void Dispose() => _dir.Dispose();

    /// <summary>The real v3.7 armhf index entry of a package whose file is in the mirror fixture.</summary>
    private static ApkIndexEntry Entry(string name) =>
        MirrorIndex.Value.Entries.Single(e => e.Name == name && File.Exists(Path.Combine(MirrorIndex.Value.Repository, e.FileName)));

    private static ResolvedImage Image(string name, IReadOnlyList<string> world, params string[] packages) => new(
        name, Arch, world, [.. packages.Select(Entry)], [MirrorIndex.Value.Repository], [MirrorIndex.Value.SignedBy!]);

    private static Digest Sha256(string text) => Digest.FromBytes(System.Text.Encoding.UTF8.GetBytes(text));

    private string FactsRoot => _dir.Combine("facts");

    private ImageCatalog Catalog() => new(_dir.Combine("images"));

    private string RetainedDirectory => Path.Combine(_dir.Combine("images"), "retained");

    private static void AssertSameImage(ResolvedImage expected, ResolvedImage actual)
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Arch, actual.Arch);
        Assert.Equal(expected.World, actual.World);
        Assert.Equal(expected.Repositories, actual.Repositories);
        Assert.Equal(expected.IndexSigners, actual.IndexSigners);
        Assert.Equal(expected.Packages.Count, actual.Packages.Count);
        for (var i = 0; i < expected.Packages.Count; i++)
        {
            Assert.Equal(expected.Packages[i].Fields, actual.Packages[i].Fields);
            Assert.Equal(expected.Packages[i].Repository, actual.Packages[i].Repository);
            Assert.Equal(expected.Packages[i].Checksum, actual.Packages[i].Checksum);
        }
    }

    // ---- Package facts and derived-layer records ----

    [FixtureFact]
    public void FactsRemoveUnreferenced_KeepsTheFactsOfKeptPackages_AndRemovesTheOthers()
    {
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        var cache = new PackageFactsCache(FactsRoot);
        var scanned = new[] { "busybox", "musl", "zlib", "alpine-keys" }
            .Select(name => PackageScanner.Scan(Path.Combine(MirrorIndex.Value.Repository, Entry(name).FileName), Entry(name), keys, false, null))
            .ToArray();
        foreach (var facts in scanned)
            cache.Put(facts);
        // The keys an image's packages have in the index are the keys the facts are kept under.
        var kept = new[] { Entry("busybox"), Entry("zlib") }.Select(e => e.Checksum!.Key).ToHashSet(StringComparer.Ordinal);
        var layers = scanned.Select(f => Digest.Parse(f.LayerDigest)).ToHashSet();

        // Even while every layer is referenced, the facts of a package no image has go: they are no derived record.
        var removed = cache.RemoveUnreferenced(kept, layers.Contains);

        Assert.Equal(2, removed);
        Assert.NotNull(cache.TryGet(Entry("busybox").Checksum!.Key));
        Assert.NotNull(cache.TryGet(Entry("zlib").Checksum!.Key));
        Assert.Null(cache.TryGet(Entry("musl").Checksum!.Key));
        Assert.Null(cache.TryGet(Entry("alpine-keys").Checksum!.Key));
        Assert.Equal(scanned[0].Files.Count, cache.TryGet(scanned[0].Key)!.Files.Count);
        Assert.Equal(2, Directory.GetFiles(cache.Directory).Length);

        Assert.Equal(0, cache.RemoveUnreferenced(kept, _ => false));
        Assert.Equal(2, cache.RemoveUnreferenced(new HashSet<string>(), _ => true));
        Assert.Empty(Directory.GetFiles(cache.Directory));
    }

    [Fact]
    public void FactsRemoveUnreferenced_KeepsADerivedLayerRecordOnlyWhileItsLayerIsReferenced()
    {
        var cache = new PackageFactsCache(FactsRoot);
        var (used, unused) = (Sha256("used layer"), Sha256("unused layer"));
        cache.PutDerived("derived-used", new LayerDigests(used, 1234, used));
        cache.PutDerived("derived-unused", new LayerDigests(unused, 99, unused));
        var asked = new List<Digest>();

        var removed = cache.RemoveUnreferenced(new HashSet<string>(), digest =>
        {
            asked.Add(digest);
            return digest == used;
        });

        Assert.Equal(1, removed);
        Assert.Equal(new LayerDigests(used, 1234, used), cache.TryGetDerived("derived-used"));
        Assert.Null(cache.TryGetDerived("derived-unused"));
        Assert.Equal(new[] { used, unused }.Select(d => d.ToString()).Order(StringComparer.Ordinal), asked.Select(d => d.ToString()).Order(StringComparer.Ordinal));

        // Once its layer is no longer referenced, it goes too.
        Assert.Equal(1, cache.RemoveUnreferenced(new HashSet<string>(), digest => digest == unused));
        Assert.Null(cache.TryGetDerived("derived-used"));
    }

    [Fact]
    public void FactsRemoveUnreferenced_AKeptKeyKeepsARecordWhateverItHolds()
    {
        var cache = new PackageFactsCache(FactsRoot);
        var layer = Sha256("layer");
        cache.PutDerived("q1-0123", new LayerDigests(layer, 5, layer));

        Assert.Equal(0, cache.RemoveUnreferenced(new HashSet<string> { "q1-0123" }, _ => false));
        Assert.NotNull(cache.TryGetDerived("q1-0123"));
    }

    [Fact]
    public void FactsRemoveUnreferenced_RemovesUnreadableFiles_EvenWhenEveryLayerIsReferenced()
    {
        var cache = new PackageFactsCache(FactsRoot);
        var layer = Sha256("layer");
        cache.PutDerived("derived", new LayerDigests(layer, 5, layer));
        Directory.CreateDirectory(cache.Directory);
        var garbage = new Dictionary<string, string>
        {
            ["truncated"] = "{\"digest\":\"sha256:",
            ["empty"] = "",
            ["null"] = "null",
            ["list"] = "[1,2]",
            ["number"] = "42",
            ["bad-digest"] = "{\"digest\":\"sha256:xyz\",\"size\":5}",
            ["no-digest"] = "{\"size\":5}",
            ["binary"] = "\u0001\u0002\u0003",
        };
        foreach (var (name, text) in garbage)
            File.WriteAllText(Path.Combine(cache.Directory, name + ".json"), text);

        var removed = cache.RemoveUnreferenced(new HashSet<string>(), _ => true);

        Assert.Equal(garbage.Count, removed);
        Assert.Equal(["derived.json"], Directory.GetFiles(cache.Directory).Select(Path.GetFileName));
        Assert.Equal(new LayerDigests(layer, 5, layer), cache.TryGetDerived("derived"));
    }

    [Fact]
    public void FactsRemoveUnreferenced_WithNothingCached_RemovesNothing()
    {
        var cache = new PackageFactsCache(FactsRoot);
        Assert.Equal(0, cache.RemoveUnreferenced(new HashSet<string>(), _ => false));
        Assert.False(Directory.Exists(cache.Directory));
    }

    // ---- Retained images ----

    [FixtureFact]
    public void Retain_RoundTripsTheImageItsManifestAndItsTime()
    {
        var catalog = Catalog();
        var image = Image("tools", ["alpine-base", "busybox"], "musl", "busybox", "alpine-baselayout", "zlib");
        var manifest = Sha256("manifest of tools").ToString();
        var until = DateTimeOffset.FromUnixTimeSeconds(1_900_000_000);
        catalog.Retain(image, manifest, until);

        var skipped = new List<string>();
        var (read, readManifest, readUntil) = Assert.Single(catalog.Retained(Arch, (path, _) => skipped.Add(path)));

        AssertSameImage(image, read);
        Assert.Equal(manifest, readManifest);
        Assert.Equal(until, readUntil);
        Assert.Empty(skipped);
    }

    [FixtureFact]
    public void Retain_KeepsSeveralVersionsOfOneName_AndReleaseRemovesExactlyOne()
    {
        var catalog = Catalog();
        string[] world = ["busybox"];
        var v1 = Image("box", world, "musl", "busybox");
        var v2 = Image("box", world, "musl", "busybox", "zlib");
        var v3 = Image("box", world, "musl", "busybox", "zlib", "libc-utils");
        var (m1, m2, m3) = (Sha256("box 1").ToString(), Sha256("box 2").ToString(), Sha256("box 3").ToString());
        var other = Image("other", ["zlib"], "zlib");
        var m4 = Sha256("other").ToString();
        catalog.Retain(v2, m2, DateTimeOffset.FromUnixTimeSeconds(2_000_000_200));
        catalog.Retain(v1, m1, DateTimeOffset.FromUnixTimeSeconds(2_000_000_100));
        catalog.Retain(v3, m3, DateTimeOffset.FromUnixTimeSeconds(2_000_000_300));
        catalog.Retain(other, m4, DateTimeOffset.FromUnixTimeSeconds(2_000_000_150));

        // Soonest to expire first.
        var retained = catalog.Retained(Arch, (path, reason) => Assert.Fail($"{path}: {reason}"));
        Assert.Equal([m1, m4, m2, m3], retained.Select(r => r.Manifest));
        Assert.Equal(["box", "other", "box", "box"], retained.Select(r => r.Image.Name));
        Assert.Equal([2, 1, 3, 4], retained.Select(r => r.Image.Packages.Count));

        catalog.Release(v2, m2);
        Assert.Equal([m1, m4, m3], catalog.Retained(Arch, (_, _) => { }).Select(r => r.Manifest));

        // A record is the name, arch and world with one manifest: another manifest, another world, another name or
        // a record already released release nothing.
        catalog.Release(v1, Sha256("box 9").ToString());
        catalog.Release(Image("box", ["busybox", "zlib"], "musl", "busybox"), m1);
        catalog.Release(Image("never", ["busybox"], "musl", "busybox"), m1);
        catalog.Release(v2, m2);
        Assert.Equal([m1, m4, m3], catalog.Retained(Arch, (_, _) => { }).Select(r => r.Manifest));

        catalog.Release(v1, m1);
        catalog.Release(v3, m3);
        catalog.Release(other, m4);
        Assert.Empty(catalog.Retained(Arch, (_, _) => { }));
    }

    [FixtureFact]
    public void Retain_TheSameImageAndManifestAgain_ReplacesItsTime()
    {
        var catalog = Catalog();
        var image = Image("box", ["busybox"], "musl", "busybox");
        var manifest = Sha256("box").ToString();
        catalog.Retain(image, manifest, DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        catalog.Retain(image, manifest, DateTimeOffset.FromUnixTimeSeconds(2_100_000_000));

        var (_, _, until) = Assert.Single(catalog.Retained(Arch, (_, _) => { }));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(2_100_000_000), until);
    }

    [FixtureFact]
    public void Retained_ReportsADamagedRecordAndDeletesIt()
    {
        var catalog = Catalog();
        var good = Image("good", ["busybox"], "musl", "busybox");
        var goodManifest = Sha256("good").ToString();
        catalog.Retain(good, goodManifest, DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        var template = JsonNode.Parse(File.ReadAllText(Assert.Single(Directory.GetFiles(RetainedDirectory))))!;
        JsonNode Variant(Action<JsonObject> change)
        {
            var copy = template.DeepClone();
            change(copy.AsObject());
            return copy;
        }
        var damaged = new Dictionary<string, string>
        {
            ["truncated"] = template.ToJsonString()[..60],
            ["not-json"] = "retained image",
            ["no-manifest"] = Variant(o => o.Remove("manifest")).ToJsonString(),
            ["null-manifest"] = Variant(o => o["manifest"] = null).ToJsonString(),
            ["no-until"] = Variant(o => o.Remove("until")).ToJsonString(),
            ["until-text"] = Variant(o => o["until"] = "tomorrow").ToJsonString(),
            ["no-image"] = Variant(o => o.Remove("image")).ToJsonString(),
            ["image-without-packages"] = Variant(o => o["image"]!.AsObject().Remove("packages")).ToJsonString(),
            ["wrong-checksum"] = Variant(o => o["image"]!["packages"]![0]!["checksum"] = "Q1" + new string('A', 26) + "=").ToJsonString(),
            ["a-list"] = "[]",
        };
        foreach (var (name, text) in damaged)
            File.WriteAllText(Path.Combine(RetainedDirectory, name + ".json"), text);

        var skipped = new List<(string Path, string Reason)>();
        var retained = catalog.Retained(Arch, (path, reason) => skipped.Add((path, reason)));

        var (image, manifest, _) = Assert.Single(retained);
        AssertSameImage(good, image);
        Assert.Equal(goodManifest, manifest);
        Assert.Equal(damaged.Keys.Select(n => Path.Combine(RetainedDirectory, n + ".json")).Order(StringComparer.Ordinal),
            skipped.Select(s => s.Path).Order(StringComparer.Ordinal));
        Assert.All(skipped, s => Assert.False(string.IsNullOrEmpty(s.Reason)));
        Assert.Single(Directory.GetFiles(RetainedDirectory));
        // Reported once: the next read finds only the good record.
        Assert.Single(catalog.Retained(Arch, (path, reason) => Assert.Fail($"{path}: {reason}")));
    }

    [FixtureFact]
    public void Retained_ARecordWithATimeNoDateCanHold_IsReportedAndDeletedLikeAnyDamagedRecord()
    {
        var catalog = Catalog();
        var image = Image("box", ["busybox"], "musl", "busybox");
        catalog.Retain(image, Sha256("box").ToString(), DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        var path = Assert.Single(Directory.GetFiles(RetainedDirectory));
        var record = JsonNode.Parse(File.ReadAllText(path))!;
        record["until"] = 999_999_999_999_999L; // beyond the year 9999
        File.WriteAllText(path, record.ToJsonString());

        var skipped = new List<string>();
        Assert.Empty(catalog.Retained(Arch, (damaged, _) => skipped.Add(damaged)));

        Assert.Equal([path], skipped);
        Assert.False(File.Exists(path));
    }

    [FixtureFact]
    public void Retained_OfAnotherArch_AreNotReturnedNorDeleted()
    {
        var catalog = Catalog();
        var armhf = Image("box", ["busybox"], "musl", "busybox");
        var x86 = armhf with { Arch = "x86_64" };
        catalog.Retain(armhf, Sha256("armhf").ToString(), DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        catalog.Retain(x86, Sha256("x86_64").ToString(), DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));

        Assert.Equal([Sha256("armhf").ToString()], catalog.Retained(Arch, (_, _) => { }).Select(r => r.Manifest));
        var other = Assert.Single(catalog.Retained("x86_64", (_, _) => { }));
        Assert.Equal("x86_64", other.Image.Arch);
        Assert.Equal(Sha256("x86_64").ToString(), other.Manifest);
        Assert.Empty(catalog.Retained("aarch64", (_, _) => { }));
        Assert.Equal(2, Directory.GetFiles(RetainedDirectory).Length);
    }

    [FixtureFact]
    public void All_DoesNotListRetainedRecords_NorDoesTryGetFindThem()
    {
        var catalog = Catalog();
        var current = Image("box", ["busybox"], "musl", "busybox", "zlib");
        var replaced = Image("box", ["busybox"], "musl", "busybox");
        var forgotten = Image("gone", ["zlib"], "zlib");
        catalog.Put(current);
        catalog.Retain(replaced, Sha256("box 1").ToString(), DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));
        catalog.Retain(forgotten, Sha256("gone").ToString(), DateTimeOffset.FromUnixTimeSeconds(2_000_000_000));

        var all = catalog.All(Arch, (path, reason) => Assert.Fail($"{path}: {reason}"));
        AssertSameImage(current, Assert.Single(all));
        Assert.Null(catalog.TryGet("gone", Arch, ["zlib"]));
        AssertSameImage(current, catalog.TryGet("box", Arch, ["busybox"])!);

        // Removing the current record leaves the retained ones.
        catalog.Remove("box", Arch, ["busybox"]);
        Assert.Empty(catalog.All(Arch, (_, _) => { }));
        Assert.Equal(2, catalog.Retained(Arch, (_, _) => { }).Count);
    }

    [Fact]
    public void Retained_AndRelease_WithNothingRetained_AreNoErrors()
    {
        var catalog = Catalog();
        Assert.Empty(catalog.Retained(Arch, (path, reason) => Assert.Fail($"{path}: {reason}")));
        catalog.Release(new ResolvedImage("box", Arch, ["busybox"], [], [], []), Sha256("box").ToString());
        Assert.False(Directory.Exists(RetainedDirectory));
    }

    // ---- Kept resolutions ----

    [FixtureFact]
    public void RemoveOlderThan_DeletesOnlyTheRecordsWrittenBeforeTheTime()
    {
        var catalog = Catalog();
        var now = DateTimeOffset.UtcNow;
        var images = new[]
        {
            Image("fresh", ["busybox"], "musl", "busybox"),
            Image("hour", ["zlib"], "zlib"),
            Image("week", ["musl"], "musl"),
            Image("keyed", ["busybox", "zlib"], "musl", "busybox", "zlib"),
        };
        var paths = new Dictionary<string, string>();
        foreach (var image in images)
        {
            var before = Directory.Exists(catalog.Directory) ? Directory.GetFiles(catalog.Directory) : [];
            if (image.Name == "keyed")
                catalog.Put(image, "inputs-key");
            else
                catalog.Put(image);
            paths[image.Name] = Assert.Single(Directory.GetFiles(catalog.Directory).Except(before));
        }
        File.SetLastWriteTimeUtc(paths["hour"], (now - TimeSpan.FromHours(2)).UtcDateTime);
        File.SetLastWriteTimeUtc(paths["week"], (now - TimeSpan.FromDays(7)).UtcDateTime);
        File.SetLastWriteTimeUtc(paths["keyed"], (now - TimeSpan.FromDays(2)).UtcDateTime);
        // A retained record as old as any is not a kept resolution: it stays.
        catalog.Retain(images[2], Sha256("week").ToString(), now + TimeSpan.FromDays(1));
        var retained = Assert.Single(Directory.GetFiles(RetainedDirectory));
        File.SetLastWriteTimeUtc(retained, (now - TimeSpan.FromDays(30)).UtcDateTime);

        Assert.Equal(2, catalog.RemoveOlderThan(now - TimeSpan.FromDays(1)));

        Assert.True(File.Exists(paths["fresh"]));
        Assert.True(File.Exists(paths["hour"]));
        Assert.False(File.Exists(paths["week"]));
        Assert.False(File.Exists(paths["keyed"]));
        Assert.True(File.Exists(retained));
        Assert.Equal(["fresh", "hour"], catalog.All(Arch, (_, _) => { }).Select(i => i.Name));

        Assert.Equal(1, catalog.RemoveOlderThan(now - TimeSpan.FromHours(1)));
        Assert.Equal(["fresh"], catalog.All(Arch, (_, _) => { }).Select(i => i.Name));
        Assert.Equal(0, catalog.RemoveOlderThan(now - TimeSpan.FromHours(1)));
        Assert.Single(catalog.Retained(Arch, (_, _) => { }));
    }

    [Fact]
    public void RemoveOlderThan_WithoutACatalog_RemovesNothing() =>
        Assert.Equal(0, new ImageCatalog(_dir.Combine("nothing")).RemoveOlderThan(DateTimeOffset.UtcNow + TimeSpan.FromDays(1)));
}
