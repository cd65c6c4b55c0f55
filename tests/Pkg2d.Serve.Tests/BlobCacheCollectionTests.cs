using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>Garbage collection of the blob cache: what no image references goes, what someone reads stays.</summary>
public sealed class BlobCacheCollectionTests
{
    /// <summary>Produces each blob into the cache and lets go of it, so it is cached but not read.</summary>
    private static async Task CacheAsync(BlobCache cache, params IBlob[] blobs)
    {
        foreach (var blob in blobs)
            (await cache.AcquireAsync(blob)).Dispose();
    }

    private static long SizeOf(params IBlob[] blobs) => blobs.Sum(b => b.Descriptor.Size);

    [Fact]
    public async Task UnreferencedBlobsAreDeletedAndReferencedOnesKept()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 64 << 20);
        var config = images.Base.ConfigBlob;
        var manifest = images.Base.ManifestBlob;
        IBlob[] all = [images.Shared, images.A, images.B, images.C, config, manifest];
        await CacheAsync(cache, all);
        Assert.Equal(SizeOf(all), cache.UsedBytes);

        IBlob[] kept = [images.Shared, images.A, config, manifest];
        var keptDigests = kept.Select(b => b.Descriptor.Digest).ToHashSet();
        var (files, bytes) = cache.RemoveUnreferenced(keptDigests.Contains);

        Assert.Equal(2, files);
        Assert.Equal(SizeOf(images.B, images.C), bytes);
        Assert.Equal(SizeOf(kept), cache.UsedBytes);
        foreach (var gone in new[] { images.B, images.C })
        {
            Assert.False(cache.Contains(gone.Descriptor.Digest));
            Assert.False(File.Exists(cache.PathOf(gone.Descriptor.Digest)));
        }
        foreach (var blob in kept)
        {
            Assert.True(cache.Contains(blob.Descriptor.Digest));
            Assert.True(File.Exists(cache.PathOf(blob.Descriptor.Digest)));
        }
        Assert.Equal(kept.Select(b => b.Descriptor.Digest.Hex).Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(dir.Path, "sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(images.A.Bytes, await File.ReadAllBytesAsync(cache.PathOf(images.A.Descriptor.Digest)));
        Assert.Equal(config.Bytes.ToArray(), await File.ReadAllBytesAsync(cache.PathOf(config.Descriptor.Digest)));

        // Nothing is left to collect: a second pass removes nothing.
        Assert.Equal((0, 0L), cache.RemoveUnreferenced(keptDigests.Contains));
        Assert.Equal(SizeOf(kept), cache.UsedBytes);
    }

    [Fact]
    public async Task EverythingGoesWhenNothingIsReferencedAndNothingWhenEverythingIs()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 64 << 20);
        await CacheAsync(cache, images.A, images.B);

        Assert.Equal((0, 0L), cache.RemoveUnreferenced(_ => true));
        Assert.Equal(SizeOf(images.A, images.B), cache.UsedBytes);

        Assert.Equal((2, SizeOf(images.A, images.B)), cache.RemoveUnreferenced(_ => false));
        Assert.Equal(0, cache.UsedBytes);
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "sha256")));
    }

    [Fact]
    public async Task ABlobBeingReadStaysAlthoughUnreferencedAndGoesOnceReleased()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 64 << 20);
        await CacheAsync(cache, images.A);
        var lease = await cache.AcquireAsync(images.B);

        var (files, bytes) = cache.RemoveUnreferenced(_ => false);

        Assert.Equal((1, images.A.Descriptor.Size), (files, bytes));
        Assert.True(cache.Contains(images.B.Descriptor.Digest));
        Assert.True(File.Exists(cache.PathOf(images.B.Descriptor.Digest)));
        Assert.Equal(images.B.Descriptor.Size, cache.UsedBytes);
        Assert.Equal(images.B.Bytes, await BlobCacheTests.ReadAllAsync(lease));

        lease.Dispose();
        Assert.Equal((1, images.B.Descriptor.Size), cache.RemoveUnreferenced(_ => false));
        Assert.False(File.Exists(cache.PathOf(images.B.Descriptor.Digest)));
        Assert.Equal(0, cache.UsedBytes);
    }

    [Fact]
    public async Task ABlobBeingProducedStaysAlthoughUnreferenced()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 64 << 20);
        var layer = images.C;
        layer.Gate = new TaskCompletionSource();
        var pending = cache.AcquireAsync(layer);
        await layer.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal((0, 0L), cache.RemoveUnreferenced(_ => false));
        Assert.Equal(layer.Descriptor.Size, cache.UsedBytes);

        layer.Gate.SetResult();
        using var lease = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(layer.Bytes, await BlobCacheTests.ReadAllAsync(lease));
        Assert.True(cache.Contains(layer.Descriptor.Digest));
        Assert.Equal(1, layer.Opens);
    }

    [Fact]
    public async Task ARemovedBlobIsProducedAgainWithTheSameBytes()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 64 << 20);
        var layer = images.Shared;
        await CacheAsync(cache, layer);
        Assert.Equal(1, cache.RemoveUnreferenced(_ => false).Files);
        Assert.False(cache.Contains(layer.Descriptor.Digest));

        using var lease = await cache.AcquireAsync(layer);
        Assert.Equal(layer.Bytes, await BlobCacheTests.ReadAllAsync(lease));
        Assert.Equal(2, layer.Opens);
        Assert.True(cache.Contains(layer.Descriptor.Digest));
        Assert.Equal(layer.Descriptor.Size, cache.UsedBytes);
        Assert.Equal(layer.Bytes, await File.ReadAllBytesAsync(cache.PathOf(layer.Descriptor.Digest)));
    }

    [Fact]
    public async Task FilesAPreviousRunLeftAreCollectedToo()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        await CacheAsync(new BlobCache(dir.Path, 64 << 20), images.A, images.B, images.C);

        var restarted = new BlobCache(dir.Path, 64 << 20);
        Assert.Equal(SizeOf(images.A, images.B, images.C), restarted.UsedBytes);
        var asked = new List<Digest>();
        var (files, bytes) = restarted.RemoveUnreferenced(digest =>
        {
            asked.Add(digest);
            return digest == images.B.Descriptor.Digest;
        });

        Assert.Equal((2, SizeOf(images.A, images.C)), (files, bytes));
        Assert.Equal(new[] { images.A, images.B, images.C }.Select(l => l.Descriptor.Digest.ToString()).Order(StringComparer.Ordinal),
            asked.Select(d => d.ToString()).Order(StringComparer.Ordinal));
        Assert.Equal(images.B.Descriptor.Size, restarted.UsedBytes);
        Assert.Equal([images.B.Descriptor.Digest.Hex], Directory.GetFiles(Path.Combine(dir.Path, "sha256")).Select(Path.GetFileName));
    }
}
