using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LayoutMountTests
{
    [FuseFact("skopeo", "umoci")]
    public async Task SkopeoAndUmociReadTheMountedLayout()
    {
        await using var served = await Served.StartAsync();
        using var work = new TempDirectory();
        var images = served.Images;

        var inspect = await Tool.RunAsync("skopeo", "inspect", $"oci:{served.Root}:tool");
        Assert.True(inspect.ExitCode == 0, inspect.Errors);
        using (var json = JsonDocument.Parse(inspect.Output))
            Assert.Equal(images.Tool.Descriptor.Digest.ToString(), json.RootElement.GetProperty("Digest").GetString());

        var copy = await Tool.RunAsync("skopeo", "copy", $"oci:{served.Root}:base", $"dir:{work.Combine("dir")}");
        Assert.True(copy.ExitCode == 0, copy.Errors);
        foreach (var layer in new[] { images.Shared, images.A })
            Assert.Equal(layer.Bytes, await File.ReadAllBytesAsync(work.Combine("dir", layer.Descriptor.Digest.Hex)));
        var archive = await Tool.RunAsync("skopeo", "copy", $"oci:{served.Root}:tool", $"docker-archive:{work.Combine("tool.tar")}:pkg2d/tool:1");
        Assert.True(archive.ExitCode == 0, archive.Errors);
        Assert.True(new FileInfo(work.Combine("tool.tar")).Length > images.B.Descriptor.Size);

        // umoci checks every digest, size and diff_id.
        var unpack = await Tool.RunAsync("umoci", "unpack", "--image", $"{served.Root}:tool", work.Combine("bundle"));
        Assert.True(unpack.ExitCode == 0, unpack.Errors);
        Assert.Equal(90_000, new FileInfo(work.Combine("bundle", "rootfs", "usr", "bin", "b")).Length);
        Assert.True(File.Exists(work.Combine("bundle", "rootfs", "etc", "shared.txt")));

        var report = await LayoutVerifier.VerifyAsync(served.Root);
        Assert.True(report.IsValid, string.Join("; ", report.Problems));
        Assert.Equal(["base", "tool"], report.RefNames);
        foreach (var blob in served.Provider.Root.Blobs)
        {
            using var expected = new MemoryStream();
            await using (var source = blob.Open())
                await source.CopyToAsync(expected);
            Assert.Equal(expected.ToArray(), await File.ReadAllBytesAsync(served.BlobPath(blob.Descriptor.Digest)));
        }
        Assert.Equal(Layout.OciLayoutJson.ToArray(), await File.ReadAllBytesAsync(served.Path("oci-layout")));
        Assert.Equal(["blobs", "index.json", "oci-layout"], Directory.GetFileSystemEntries(served.Root).Select(Path.GetFileName).Order());
        Assert.Equal(served.Provider.Root.Blobs.Select(b => b.Descriptor.Digest.Hex),
            Directory.GetFiles(served.Path("blobs/sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Empty(served.Errors);
    }

    [FuseFact("skopeo", "umoci")]
    public async Task OnDemandWorldDirectoryIsALayoutOfItsOwn()
    {
        await using var served = await Served.StartAsync();
        using var work = new TempDirectory();
        var world = served.Path(TestProvider.WorldName);

        var inspect = await Tool.RunAsync("skopeo", "inspect", $"oci:{world}:latest");
        Assert.True(inspect.ExitCode == 0, inspect.Errors);
        var unpack = await Tool.RunAsync("umoci", "unpack", "--image", $"{world}:latest", work.Combine("bundle"));
        Assert.True(unpack.ExitCode == 0, unpack.Errors);
        Assert.Equal(40_000, new FileInfo(work.Combine("bundle", "rootfs", "srv", "c.bin")).Length);
        Assert.True((await LayoutVerifier.VerifyAsync(world)).IsValid);
        Assert.Equal(served.Images.WorldLayout().IndexJson.ToArray(), await File.ReadAllBytesAsync(Path.Combine(world, "index.json")));

        // Unknown worlds are absent; names that cannot be worlds never reach the provider. (Known ones are asked
        // for on every lookup the kernel sends: the provider keeps them, the mount does not.)
        var calls = served.Provider.WorldCalls;
        Assert.False(Directory.Exists(served.Path("no-such-world")));
        Assert.Equal(calls + 1, served.Provider.WorldCalls);
        Assert.False(Directory.Exists(served.Path(".hidden")));
        Assert.False(Directory.Exists(served.Path("with space")));
        Assert.False(File.Exists(served.Path("index.json/x")));
        Assert.Equal(calls + 1, served.Provider.WorldCalls);
        // The world's blobs are its own: the root layout does not list c.
        Assert.False(File.Exists(served.BlobPath(served.Images.C.Descriptor.Digest)));
        Assert.True(File.Exists(served.BlobPath(served.Images.C.Descriptor.Digest, TestProvider.WorldName)));
    }

    [FuseFact]
    public async Task StatAndMetadataReadsOpenNoLayerAndTheFirstReadOpensItOnce()
    {
        await using var served = await Served.StartAsync();
        var root = served.Provider.Root;
        foreach (var blob in root.Blobs)
            Assert.Equal(blob.Descriptor.Size, new FileInfo(served.BlobPath(blob.Descriptor.Digest)).Length);
        Assert.Equal(root.IndexJson.ToArray(), await File.ReadAllBytesAsync(served.Path("index.json")));
        foreach (var image in new[] { served.Images.Base, served.Images.Tool })
        {
            Assert.Equal(image.ManifestBlob.Bytes.ToArray(), await File.ReadAllBytesAsync(served.BlobPath(image.ManifestBlob.Descriptor.Digest)));
            Assert.Equal(image.ConfigBlob.Bytes.ToArray(), await File.ReadAllBytesAsync(served.BlobPath(image.ConfigBlob.Descriptor.Digest)));
        }
        Assert.All(served.Images.Layers, l => Assert.Equal(0, l.Opens));
        Assert.Empty(Directory.GetFiles(Path.Combine(served.CacheDirectory, "sha256")));

        var a = served.Images.A;
        for (var i = 0; i < 3; i++)
            Assert.Equal(a.Bytes, await File.ReadAllBytesAsync(served.BlobPath(a.Descriptor.Digest)));
        Assert.Equal(1, a.Opens);
        Assert.All(served.Images.Layers.Where(l => l != a), l => Assert.Equal(0, l.Opens));
    }

    [FuseFact("skopeo")]
    public async Task ConcurrentCopiesOfImagesSharingLayersOpenEachLayerOnce()
    {
        await using var served = await Served.StartAsync();
        using var work = new TempDirectory();
        // Slow first opens make the copies overlap while the layers are being produced.
        foreach (var layer in served.Images.Layers)
            layer.Gate = new TaskCompletionSource();
        // The world's copy of the shared layer is another file to the kernel, so only the cache can share its production.
        string[] sources = [$"oci:{served.Root}:base", $"oci:{served.Root}:tool", $"oci:{served.Path(TestProvider.WorldName)}:latest"];
        var copies = Enumerable.Range(0, 8).Select(i => Tool.RunAsync("skopeo", "copy",
            sources[i % sources.Length], $"dir:{work.Combine($"out{i}")}")).ToArray();
        await served.Images.Shared.Opened.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await Task.Delay(500);
        foreach (var layer in served.Images.Layers)
            layer.Gate!.SetResult();
        var results = await Task.WhenAll(copies);
        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Errors));
        Assert.Equal(1, served.Images.Shared.Opens);
        Assert.Equal(1, served.Images.A.Opens);
        Assert.Equal(1, served.Images.B.Opens);
        Assert.Equal(1, served.Images.C.Opens);
        for (var i = 0; i < 8; i++)
            Assert.Equal(served.Images.Shared.Bytes, await File.ReadAllBytesAsync(work.Combine($"out{i}", served.Images.Shared.Descriptor.Digest.Hex)));
    }

    [FuseFact]
    public async Task EvictedLayerIsProducedAgainWithIdenticalBytes()
    {
        var images = new TestImages();
        await using var served = await Served.StartAsync(cacheSize: images.A.Descriptor.Size + 100);
        var shared = served.Images.Shared;
        var first = await File.ReadAllBytesAsync(served.BlobPath(shared.Descriptor.Digest));
        Assert.Equal(shared.Bytes, first);
        Assert.Equal(served.Images.A.Bytes, await File.ReadAllBytesAsync(served.BlobPath(served.Images.A.Descriptor.Digest)));
        Assert.False(served.Cache.Contains(shared.Descriptor.Digest));

        // The world's path is another file to the kernel, so its page cache cannot answer for the evicted blob.
        Assert.Equal(first, await File.ReadAllBytesAsync(served.BlobPath(shared.Descriptor.Digest, TestProvider.WorldName)));
        Assert.Equal(2, shared.Opens);
    }

    [FuseFact("cat")]
    public async Task AFailingLayerReadsAsEIOUntilTheFaultClears()
    {
        await using var served = await Served.StartAsync();
        var b = served.Images.B;
        var path = served.BlobPath(b.Descriptor.Digest);
        b.Fault = new IOException("package b-1.0-r0 from mirror http://127.0.0.1:1/alpine: connection refused");

        var cat = await Tool.RunAsync("cat", path);
        Assert.NotEqual(0, cat.ExitCode);
        Assert.Contains("Input/output error", cat.Errors);
        const int EIO = 5;
        var error = Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(path));
        Assert.Equal(EIO, error.HResult & 0xffff);
        Assert.Contains(served.Log.Lines, l => l.StartsWith("Error", StringComparison.Ordinal)
            && l.Contains(b.Descriptor.Digest.ToString()) && l.Contains("connection refused"));

        // Wrong bytes are never served either.
        b.Fault = null;
        b.Corrupt = true;
        Assert.NotEqual(0, (await Tool.RunAsync("cat", path)).ExitCode);
        Assert.Contains(served.Log.Lines, l => l.Contains(b.Descriptor.Digest.ToString()) && l.Contains("hash to"));

        // The mount kept serving, and the next read after the fault succeeds.
        Assert.Equal(served.Provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(served.Path("index.json")));
        b.Corrupt = false;
        Assert.Equal(b.Bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(b.Bytes)), (await Tool.RunAsync("sha256sum", path)).Output.Split(' ')[0]);
    }

    [FuseFact("cat", "sha256sum")]
    public async Task AReaderKilledWhileWaitingDoesNotBreakTheOthers()
    {
        await using var served = await Served.StartAsync();
        var a = served.Images.A;
        var path = served.BlobPath(a.Descriptor.Digest);
        a.Gate = new TaskCompletionSource();
        using var killed = Process.Start(new ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true })!;
        await a.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var patient = Tool.RunAsync("sha256sum", path);
        await Task.Delay(300);
        killed.Kill();
        await killed.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(patient.IsCompleted);

        a.Gate.SetResult();
        var sum = await patient;
        Assert.Equal(0, sum.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(a.Bytes)), sum.Output.Split(' ')[0]);
        Assert.Equal(1, a.Opens);
        Assert.Equal(a.Bytes, await File.ReadAllBytesAsync(path));
        Assert.Empty(served.Errors);
    }

    [FuseFact("skopeo")]
    public async Task IndexJsonFollowsTheCurrentRoot()
    {
        await using var served = await Served.StartAsync();
        var index = served.Path("index.json");
        Assert.Equal(served.Provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(index));

        var images = served.Images;
        var extra = TestImages.Image(images.C, images.A);
        served.Provider.Root = new Layout(new LayoutEntry("base", images.Base), new LayoutEntry("extra", extra));
        Assert.Equal(served.Provider.Root.IndexJson.Length, new FileInfo(index).Length);
        Assert.Equal(served.Provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(index));
        var inspect = await Tool.RunAsync("skopeo", "inspect", $"oci:{served.Root}:extra");
        Assert.True(inspect.ExitCode == 0, inspect.Errors);
        Assert.Contains(extra.Descriptor.Digest.ToString(), inspect.Output);
        Assert.NotEqual(0, (await Tool.RunAsync("skopeo", "inspect", $"oci:{served.Root}:tool")).ExitCode);
        Assert.Equal(images.C.Descriptor.Size, new FileInfo(served.BlobPath(images.C.Descriptor.Digest)).Length);

        // Held open across a change, index.json keeps the version it was opened with.
        await using var held = new FileStream(index, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var before = served.Provider.Root.IndexJson.ToArray();
        served.Provider.Root = images.RootLayout();
        var buffer = new byte[before.Length + 100];
        var read = 0;
        for (int n; (n = await held.ReadAsync(buffer.AsMemory(read))) > 0;)
            read += n;
        Assert.Equal(before, buffer[..read]);
        Assert.Equal(served.Provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(index));
    }
}
