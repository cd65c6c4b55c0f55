using System.Diagnostics;
using System.Security.Cryptography;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Fetch.Tests;

/// <summary>
/// The snapshot of a verified index: it must give back exactly what a fresh verify + parse gives, and be used only for
/// the same bytes, keys and options. Most tests plant a valid snapshot of a cut-down index under a chosen key: when the
/// loader returns the cut-down index it used the snapshot, when it returns the whole index it parsed afresh.
/// </summary>
public sealed class IndexSnapshotTests(ITestOutputHelper output) : IDisposable
{
    private const string Arch = "x86_64";
    private readonly TempDirectory _dir = new();
    private readonly RepositoryTransport _transport = new();

    public void Dispose()
    {
        _transport.Dispose();
        _dir.Dispose();
    }

    [FixtureFact]
    public void RoundTrip_EqualsAFreshParse_X86_64()
    {
        AssertRoundTrip(Fixtures.X86_64Index, 4929);
    }

    [FixtureFact]
    public void RoundTrip_EqualsAFreshParse_ArmhfMirror()
    {
        AssertRoundTrip(Path.Combine(Fixtures.MirrorBase, "armhf", "APKINDEX.tar.gz"), 5648);
    }

    [FixtureFact]
    public async Task SecondLoad_UsesTheSnapshotAndEqualsTheFirst()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        var first = await Load(spec, keys);
        Assert.True(File.Exists(SnapshotPath(index)));

        var second = await Load(spec, keys);
        AssertSame(first, second);
        var loaded = await new IndexLoader(_transport, new PackageCache(_dir.Combine("cache")), keys).LoadAsync(spec, Arch);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(index))), loaded.IndexSha256);

        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        Assert.Equal(10, (await Load(spec, keys)).Entries.Count);
    }

    [FixtureFact]
    public async Task TheSnapshotIsWrittenBesideTheWorkAfterTheLoadAndIsThereOnceTheSourceIsDisposed()
    {
        var (_, index) = CopyIndex(Fixtures.X86_64Index);
        var options = new RepositoryOptions
        {
            Repositories = [index], Arch = Arch, KeysDirs = [Fixtures.KeysDir], CacheDir = _dir.Combine("cache"),
        };
        using (var source = await ApkSource.OpenAsync(options))
            Assert.Equal(21, source.Resolve(["build-base"]).Packages.Count);
        Assert.True(File.Exists(SnapshotPath(index)));
        var snapshot = File.ReadAllBytes(SnapshotPath(index));

        // The next process takes it, and writes nothing.
        using (var again = await ApkSource.OpenAsync(options))
            Assert.Equal(21, again.Resolve(["build-base"]).Packages.Count);
        Assert.Equal(snapshot, File.ReadAllBytes(SnapshotPath(index)));
    }

    [FixtureFact]
    public async Task ChangedIndexBytes_AreVerifiedAndParsedAfresh()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);

        File.Copy(Fixtures.Aarch64Index, index, overwrite: true);
        var loaded = await Load(spec, keys);

        Assert.Equal(5004, loaded.Entries.Count);
        Assert.Equal("alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub", loaded.SignedBy);
    }

    [FixtureFact]
    public async Task AChangedKeySet_AddedOrRemovedKey_IsNotServedFromTheSnapshot()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);

        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        using var extra = RSA.Create(2048);
        Assert.Equal(4929, (await Load(spec, keys.With("extra.rsa.pub", extra))).Entries.Count);

        // A key that did not sign this index, removed.
        var fewer = _dir.Combine("keys");
        Directory.CreateDirectory(fewer);
        foreach (var key in Directory.GetFiles(Fixtures.KeysDir).Where(k => !k.Contains("524d27bb")))
            File.Copy(key, Path.Combine(fewer, Path.GetFileName(key)));
        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        Assert.Equal(4929, (await Load(spec, TrustedKeys.Load([fewer]))).Entries.Count);

        // Without the signing key the index is refused, whatever the snapshot says.
        var unsigned = _dir.Combine("keys-without-signer");
        Directory.CreateDirectory(unsigned);
        foreach (var key in Directory.GetFiles(Fixtures.KeysDir).Where(k => !k.Contains("6165ee59")))
            File.Copy(key, Path.Combine(unsigned, Path.GetFileName(key)));
        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        await Assert.ThrowsAsync<ApkSignatureException>(() => Load(spec, TrustedKeys.Load([unsigned])));
    }

    [FixtureFact]
    public async Task ASnapshotForAnotherArchOrFlag_IsNotUsed()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);

        PlantCutDown(spec, index, keys, "aarch64", allowUntrusted: false);
        Assert.Equal(4929, (await Load(spec, keys)).Entries.Count);

        PlantCutDown(spec, index, keys, Arch, allowUntrusted: true);
        Assert.Equal(4929, (await Load(spec, keys)).Entries.Count);

        // And the other way round: an allow-untrusted load does not take the strict load's snapshot.
        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        Assert.Equal(4929, (await Load(spec, keys, allowUntrusted: true)).Entries.Count);
    }

    [FixtureFact]
    public async Task ACorruptedSnapshot_FlippedBitOrTruncated_IsNeverTrusted()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        PlantCutDown(spec, index, keys, Arch, allowUntrusted: false);
        var good = File.ReadAllBytes(SnapshotPath(index));
        var fresh = ReadFresh(index, keys);

        // In the magic, the key, the string table, the entries and the checksum.
        foreach (var offset in new[] { 0, 30, 100, good.Length / 2, good.Length - 40, good.Length - 1 })
        {
            var bad = (byte[])good.Clone();
            bad[offset] ^= 0x04;
            File.WriteAllBytes(SnapshotPath(index), bad);
            AssertSame(fresh, await Load(spec, keys));
            // The fresh parse replaced the damaged snapshot.
            Assert.NotEqual(bad, File.ReadAllBytes(SnapshotPath(index)));
        }
        foreach (var length in new[] { 0, 10, good.Length / 2, good.Length - 1 })
        {
            File.WriteAllBytes(SnapshotPath(index), good[..length]);
            AssertSame(fresh, await Load(spec, keys));
        }
        File.WriteAllBytes(SnapshotPath(index), [.. good, 0]);
        AssertSame(fresh, await Load(spec, keys));
    }

    [FixtureFact]
    public async Task WarningsOfAnUntrustedIndex_AreSaidAgainFromTheSnapshot()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var warnings = new List<string>();
        var loader = new IndexLoader(_transport, new PackageCache(_dir.Combine("cache")), TrustedKeys.Empty, allowUntrusted: true, warn: warnings.Add);

        var first = (await loader.LoadAsync(spec, Arch)).Index;
        await loader.SnapshotsWritten;
        var firstWarnings = warnings.ToList();
        warnings.Clear();
        var second = (await loader.LoadAsync(spec, Arch)).Index;

        Assert.Single(firstWarnings);
        Assert.Equal(firstWarnings, warnings);
        Assert.Null(second.SignedBy);
        AssertSame(first, second);
    }

    [FixtureFact]
    public async Task LoadTime_FreshVersusSnapshot()
    {
        var (spec, index) = CopyIndex(Fixtures.X86_64Index);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        // Warm the JIT for both paths first, then time each several times.
        await Load(spec, keys);
        await Load(spec, keys);
        var fresh = new List<double>();
        var kept = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            File.Delete(SnapshotPath(index));
            var watch = Stopwatch.StartNew();
            await Load(spec, keys);
            fresh.Add(watch.Elapsed.TotalMilliseconds);
            watch.Restart();
            await Load(spec, keys);
            kept.Add(watch.Elapsed.TotalMilliseconds);
        }
        var bytes = File.ReadAllBytes(index);
        var hash = Stopwatch.StartNew();
        SHA256.HashData(bytes);
        var hashMs = hash.Elapsed.TotalMilliseconds;
        output.WriteLine($"x86_64 index ({bytes.Length} bytes, snapshot {new FileInfo(SnapshotPath(index)).Length} bytes): " +
            $"verify+parse+write snapshot median {Median(fresh):F1} ms, from snapshot median {Median(kept):F1} ms, SHA-256 of the index {hashMs:F2} ms");
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private void AssertRoundTrip(string indexFile, int count)
    {
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        var fresh = ReadFresh(indexFile, keys);
        Assert.Equal(count, fresh.Entries.Count);
        var path = _dir.Combine("snapshot");
        var key = RandomNumberGenerator.GetBytes(32);

        IndexSnapshot.Write(path, key, fresh, ["a warning"]);
        var kept = IndexSnapshot.TryRead(path, key, fresh.Repository, fresh.Source);

        Assert.NotNull(kept);
        AssertSame(fresh, kept.Value.Index);
        Assert.Equal(["a warning"], kept.Value.Warnings);
        output.WriteLine($"{Path.GetFileName(indexFile)}: {new FileInfo(indexFile).Length} bytes, snapshot {new FileInfo(path).Length} bytes");
    }

    private static ApkIndex ReadFresh(string indexFile, TrustedKeys keys)
    {
        using var stream = File.OpenRead(indexFile);
        return ApkIndexReader.ReadSigned(stream, RepositorySpec.Parse(indexFile).PackageFolder(RepositorySpec.Parse(indexFile).Mirrors[0], Arch),
            indexFile, keys, allowUntrusted: false, warn: null);
    }

    private static void AssertSame(ApkIndex expected, ApkIndex actual)
    {
        Assert.Equal(expected.Repository, actual.Repository);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Description, actual.Description);
        Assert.Equal(expected.SignedBy, actual.SignedBy);
        Assert.Equal(expected.Entries.Count, actual.Entries.Count);
        for (var i = 0; i < expected.Entries.Count; i++)
        {
            var (e, a) = (expected.Entries[i], actual.Entries[i]);
            Assert.Equal(e.Repository, a.Repository);
            Assert.Equal(e.Fields, a.Fields);
            Assert.Equal(e.Checksum, a.Checksum);
            Assert.Equal(e.Depends, a.Depends);
            Assert.Equal(e.Provides, a.Provides);
            Assert.Equal(e.InstallIf, a.InstallIf);
            Assert.Equal(e.ProvidesText.ToString(), a.ProvidesText.ToString());
            // The views a snapshot makes only when asked for equal the parsed index's.
            Assert.Equal((e.Name, e.Version, e.Arch, e.Size, e.InstalledSize, e.BuildTime, e.ProviderPriority),
                (a.Name, a.Version, a.Arch, a.Size, a.InstalledSize, a.BuildTime, a.ProviderPriority));
            Assert.Equal((e.Description, e.Url, e.License, e.Origin, e.Maintainer, e.Commit),
                (a.Description, a.Url, a.License, a.Origin, a.Maintainer, a.Commit));
            Assert.Equal(e['T'], a['T']);
        }
    }

    /// <summary>A copy of the index in a writable folder, as a local repository.</summary>
    private (RepositorySpec Spec, string Path) CopyIndex(string indexFile)
    {
        var folder = Directory.CreateDirectory(_dir.Combine("repo")).FullName;
        var path = Path.Combine(folder, "APKINDEX.tar.gz");
        File.Copy(indexFile, path, overwrite: true);
        return (RepositorySpec.Parse(path), path);
    }

    private string SnapshotPath(string index) => new PackageCache(_dir.Combine("cache")).IndexSnapshotPath(index);

    /// <summary>One load, as one process makes it: its snapshot is written by the time it ends.</summary>
    private async Task<ApkIndex> Load(RepositorySpec spec, TrustedKeys keys, bool allowUntrusted = false)
    {
        var loader = new IndexLoader(_transport, new PackageCache(_dir.Combine("cache")), keys, allowUntrusted);
        var index = (await loader.LoadAsync(spec, Arch)).Index;
        await loader.SnapshotsWritten;
        return index;
    }

    /// <summary>A valid snapshot of the first 10 entries of the index, under the key of the given keys and options.</summary>
    private void PlantCutDown(RepositorySpec spec, string index, TrustedKeys keys, string arch, bool allowUntrusted)
    {
        var folder = spec.PackageFolder(spec.Mirrors[0], arch);
        var whole = ReadFresh(index, keys);
        var cut = new ApkIndex(folder, index, whole.Description,
            whole.Entries.Take(10).Select(e => new ApkIndexEntry(e.Fields, folder)).ToList(), whole.SignedBy);
        var key = IndexSnapshot.Key(SHA256.HashData(File.ReadAllBytes(index)), keys.Fingerprint(), arch, allowUntrusted, spec.Kind, folder, index);
        IndexSnapshot.Write(SnapshotPath(index), key, cut, []);
    }
}
