using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

public sealed class BlobCacheTests
{
    /// <summary>All of a leased blob's bytes, checking that the file ends where the blob does.</summary>
    internal static async Task<byte[]> ReadAllAsync(BlobLease lease)
    {
        var bytes = new byte[lease.Length];
        var total = 0;
        while (total < bytes.Length)
        {
            var n = await lease.ReadAsync(total, bytes.AsMemory(total));
            Assert.True(n > 0, "the cached file is shorter than the blob");
            total += n;
        }
        Assert.Equal(0, await lease.ReadAsync(total, new byte[1]));
        return bytes;
    }

    [Fact]
    public async Task ConcurrentRequestsShareOneProduction()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 1 << 20);
        var layer = images.A;
        layer.Gate = new TaskCompletionSource();
        var requests = Enumerable.Range(0, 8).Select(_ => cache.AcquireAsync(layer)).ToArray();
        await layer.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(requests, r => r.IsCompleted); // nothing is served before the blob is complete
        Assert.False(File.Exists(cache.PathOf(layer.Descriptor.Digest)));
        layer.Gate.SetResult();
        var leases = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(10));
        foreach (var lease in leases)
        {
            Assert.Equal(layer.Bytes, await ReadAllAsync(lease));
            lease.Dispose();
        }
        Assert.Equal(1, layer.Opens);
        Assert.Equal(layer.Bytes, await File.ReadAllBytesAsync(cache.PathOf(layer.Descriptor.Digest)));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "tmp")));
    }

    [Fact]
    public async Task LeastRecentlyUsedUnopenedBlobsAreEvictedAndProducedAgainIdentically()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        // Room for the largest layer but not for two.
        var cache = new BlobCache(dir.Path, images.A.Descriptor.Size + 100);
        var shared = await cache.AcquireAsync(images.Shared);
        var sharedBytes = await ReadAllAsync(shared);
        var b = await cache.AcquireAsync(images.B);
        Assert.Equal(images.B.Bytes, await ReadAllAsync(b));

        // Both are open, so both are kept although together they exceed the limit.
        Assert.True(cache.Contains(images.Shared.Descriptor.Digest) && cache.Contains(images.B.Descriptor.Digest));
        Assert.True(cache.UsedBytes > cache.MaxBytes);
        shared.Dispose();
        Assert.False(cache.Contains(images.Shared.Descriptor.Digest));
        Assert.True(cache.UsedBytes <= cache.MaxBytes, $"{cache.UsedBytes} > {cache.MaxBytes}");
        b.Dispose();
        Assert.True(cache.Contains(images.B.Descriptor.Digest));

        // Producing the evicted blob again makes room by evicting the least recently used one.
        using (var again = await cache.AcquireAsync(images.Shared))
            Assert.Equal(sharedBytes, await ReadAllAsync(again));
        Assert.False(cache.Contains(images.B.Descriptor.Digest));
        Assert.False(File.Exists(cache.PathOf(images.B.Descriptor.Digest)));
        Assert.Equal(2, images.Shared.Opens);
        Assert.Equal(1, images.B.Opens);

        // A blob larger than the whole cache is still served, then dropped once nobody reads it.
        var tiny = new BlobCache(dir.Combine("tiny"), 10);
        using (var a = await tiny.AcquireAsync(images.A))
            Assert.Equal(images.A.Bytes, await ReadAllAsync(a));
        Assert.Equal(0, tiny.UsedBytes);
        Assert.False(File.Exists(tiny.PathOf(images.A.Descriptor.Digest)));
    }

    [Fact]
    public async Task FailuresFailTheRequestAndAreRetriedNextTime()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 1 << 20);
        var layer = images.B;

        layer.Fault = new IOException("fetching b-1.0-r0.apk from the test mirror: connection refused");
        var failed = await Assert.ThrowsAsync<IOException>(() => cache.AcquireAsync(layer));
        Assert.Contains("connection refused", failed.Message);

        layer.Fault = null;
        layer.Corrupt = true;
        var corrupt = await Assert.ThrowsAsync<BlobVerificationException>(() => cache.AcquireAsync(layer));
        Assert.Contains(layer.Descriptor.Digest.ToString(), corrupt.Message);
        Assert.False(File.Exists(cache.PathOf(layer.Descriptor.Digest)));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir.Path, "tmp")));
        Assert.Equal(0, cache.UsedBytes);

        layer.Corrupt = false;
        using var lease = await cache.AcquireAsync(layer);
        Assert.Equal(layer.Bytes, await ReadAllAsync(lease));
        Assert.Equal(3, layer.Opens);
    }

    [Fact]
    public async Task ACancelledWaiterDoesNotCancelTheSharedProduction()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        var cache = new BlobCache(dir.Path, 1 << 20);
        var layer = images.C;
        layer.Gate = new TaskCompletionSource();
        using var cancel = new CancellationTokenSource();
        var cancelled = cache.AcquireAsync(layer, cancel.Token);
        var patient = cache.AcquireAsync(layer);
        await layer.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        layer.Gate.SetResult();
        using var lease = await patient.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(layer.Bytes, await ReadAllAsync(lease));
        Assert.Equal(1, layer.Opens);
    }

    [Fact]
    public async Task FilesOfAPreviousRunAreReusedAndLeftoversRemoved()
    {
        using var dir = new TempDirectory();
        var images = new TestImages();
        using (var lease = await new BlobCache(dir.Path, 1 << 20).AcquireAsync(images.A))
            Assert.Equal(images.A.Descriptor.Size, lease.Length);
        File.WriteAllText(dir.Combine("tmp", "partial"), "an interrupted download");

        var restarted = new BlobCache(dir.Path, 1 << 20);
        Assert.False(File.Exists(dir.Combine("tmp", "partial")));
        Assert.Equal(images.A.Descriptor.Size, restarted.UsedBytes);
        using (var lease = await restarted.AcquireAsync(images.A))
            Assert.Equal(images.A.Bytes, await ReadAllAsync(lease));
        Assert.Equal(1, images.A.Opens);
    }
}
