using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A running `pkg2d serve` that stays current: a second repository (signed, served over real HTTP) is rebuilt with a
/// newer `hello` and re-signed, and the daemon moves the mount's index.json, the world's layout and the registry's
/// tag to the new manifest on SIGHUP or on its own (--refresh), retains the old one by digest (--retain), then
/// collects what only the old one referenced. Alpine's real armhf packages make up the rest of each image.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RefreshTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _dir = new("pkg2d-refresh-");
    private readonly LoopbackMirror _alpine = new(Fixtures.Path("mirror"));
    private readonly SyntheticRepository _custom = new("armhf");
    private readonly LoopbackMirror _customMirror;
    private readonly int _port = FreePort();

    public RefreshTests(ITestOutputHelper output)
    {
        _output = output;
        _custom.Add(Hello("1.0-r0")).Write();
        _customMirror = new LoopbackMirror(_custom.Root);
    }

    private string Cache => _dir.Combine("cache");

    private string[] Options(params string[] more) =>
    [
        "--repo", _alpine.Url + "/v3.7/main", "--repo", _customMirror.Url + "/repo", "--arch", "armhf",
        "--keys-dir", Fixtures.KeysDir, "--keys-dir", _custom.KeysDir, "--image", "app=hello", "--listen", $"127.0.0.1:{_port}", .. more,
    ];

    private static SyntheticPackage Hello(string version) => new("hello", version)
    {
        Files = [SyntheticFile.Text("usr/share/hello/version", version + "\n")],
    };

    /// <summary>Rebuilds the custom repository with another hello and re-signs its index, dated later than the copy the daemon holds.</summary>
    private void Publish(string version, IndexFault faults = IndexFault.None)
    {
        _custom.IndexFaults = faults;
        _custom.Remove("hello").Add(Hello(version)).Write();
        File.SetLastWriteTimeUtc(_custom.IndexPath, DateTime.UtcNow.AddMinutes(1));
    }

    [FuseFact]
    public async Task OnSighupTheMountTheWorldAndTheRegistryMoveToTheNewManifestAndTheOldStaysReadableByDigest()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0"));
        daemon.WaitReady();
        using var client = Client();
        var old = Manifest(daemon.Path("index.json"), "app");
        var oldWorld = Manifest(daemon.Path("hello", "index.json"), "latest");
        Assert.Equal(old, await TagAsync(client, "app"));
        Assert.Equal(oldWorld, await TagAsync(client, "hello"));
        var oldLayer = HelloLayer(daemon.Path(), old);

        Publish("1.0-r1");
        Signal(daemon, "HUP");
        var moved = await MovedAsync(daemon.Path("index.json"), "app", old, daemon);

        Assert.True(daemon.Logs($"refresh: app: hello 1.0-r0 -> 1.0-r1 (manifest {moved})"), daemon.Log);
        Assert.Equal(moved, await TagAsync(client, "app"));
        // The on-demand world moved with it, in the same step.
        var movedWorld = Manifest(daemon.Path("hello", "index.json"), "latest");
        Assert.NotEqual(oldWorld, movedWorld);
        Assert.Equal(movedWorld, await TagAsync(client, "hello"));
        Assert.True(daemon.Logs($"refresh: hello: hello 1.0-r0 -> 1.0-r1 (manifest {movedWorld})"), daemon.Log);
        Assert.Equal("1.0-r1\n", HelloVersion(daemon.Path(), moved));

        // The old manifests stay readable by digest: on the mount, at the top and in the world, and on the registry.
        Assert.Equal("1.0-r0\n", HelloVersion(daemon.Path(), old));
        Assert.Equal(oldLayer, HelloLayer(daemon.Path("hello"), oldWorld));
        Assert.DoesNotContain(old, File.ReadAllText(daemon.Path("index.json")));
        using var byDigest = await client.GetAsync($"/v2/app/manifests/{old}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(old, Sha256(await byDigest.Content.ReadAsByteArrayAsync()));
        using var oldBlob = await client.GetAsync($"/v2/app/blobs/{oldLayer}");
        Assert.Equal(HttpStatusCode.OK, oldBlob.StatusCode);
        Assert.Equal(oldLayer, Sha256(await oldBlob.Content.ReadAsByteArrayAsync()));

        // Nothing changed since: a second signal checks the indexes (conditional requests) and publishes nothing.
        var logged = daemon.Log.Length;
        Signal(daemon, "HUP");
        Assert.True(daemon.Logs("refresh: no repository index changed"), daemon.Log);
        Assert.Equal(moved, Manifest(daemon.Path("index.json"), "app"));
        Assert.DoesNotContain("refresh: app:", daemon.Log[logged..]);
    }

    [FuseFact]
    public async Task WithRefreshTwoSecondsTheDaemonMovesOnWithoutASignal()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "2s"));
        daemon.WaitReady();
        using var client = Client();
        var old = Manifest(daemon.Path("index.json"), "app");

        Publish("1.1-r0");
        var moved = await MovedAsync(daemon.Path("index.json"), "app", old, daemon);

        Assert.Equal(moved, await TagAsync(client, "app"));
        Assert.Equal("1.1-r0\n", HelloVersion(daemon.Path(), moved));
        Assert.True(daemon.Logs($"refresh: app: hello 1.0-r0 -> 1.1-r0 (manifest {moved})"), daemon.Log);
    }

    [FuseFact]
    public async Task AfterRetainExpiresTheOldManifestAndTheBlobsOnlyItUsedAreGoneAndSharedOnesStay()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0", "--retain", "4s"));
        daemon.WaitReady();
        using var client = Client();
        var old = Manifest(daemon.Path("index.json"), "app");
        var oldLayer = HelloLayer(daemon.Path(), old);
        var shared = Layers(daemon.Path(), old).First(l => l != oldLayer);
        // Both layers are read, so both are in the blob cache.
        Assert.Equal(shared, Sha256(File.ReadAllBytes(daemon.Path("blobs", "sha256", Hex(shared)))));
        Assert.True(File.Exists(CachedBlob(oldLayer)));
        Assert.True(File.Exists(CachedBlob(shared)));
        Assert.True(HasFacts("hello", "1.0-r0"));

        Publish("1.0-r1");
        Signal(daemon, "HUP");
        var moved = await MovedAsync(daemon.Path("index.json"), "app", old, daemon);
        Assert.Equal("1.0-r0\n", HelloVersion(daemon.Path(), old));

        // Once the 4 s are up, the old manifest is no longer served and its own layer is collected.
        Assert.True(await EventuallyAsync(() => daemon.Log.Contains($"No longer retaining app (manifest {old})")), daemon.Log);
        Assert.True(await EventuallyAsync(() => !File.Exists(CachedBlob(oldLayer))), daemon.Log);
        // The kernel may still know the name for a while (blobs are immutable for it), but it no longer opens.
        Assert.ThrowsAny<IOException>(() => File.ReadAllBytes(daemon.Path("blobs", "sha256", Hex(old))));
        using var byDigest = await client.GetAsync($"/v2/app/manifests/{old}");
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
        Assert.True(File.Exists(CachedBlob(shared)), "a layer the new image shares was collected");
        Assert.Contains("collect: removed", daemon.Log);
        // The old hello's facts went with it; the new one's and the shared packages' stay.
        Assert.False(HasFacts("hello", "1.0-r0"));
        Assert.True(HasFacts("hello", "1.0-r1"));
        Assert.True(HasFacts("busybox", null));
        Assert.Equal(moved, await TagAsync(client, "app"));
        Assert.Equal("1.0-r1\n", HelloVersion(daemon.Path(), moved));
    }

    [FuseFact]
    public async Task ARefreshAgainstABadSignatureChangesNothingAndSaysWhy()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0"));
        daemon.WaitReady();
        using var client = Client();
        var old = Manifest(daemon.Path("index.json"), "app");
        var index = File.ReadAllBytes(daemon.Path("index.json"));

        Publish("1.0-r1", IndexFault.BadSignature);
        Signal(daemon, "HUP");

        Assert.True(daemon.Logs("refresh: nothing changed"), daemon.Log);
        Assert.Contains(_customMirror.Url + "/repo/armhf/APKINDEX.tar.gz", daemon.Log[daemon.Log.IndexOf("refresh: nothing changed", StringComparison.Ordinal)..]);
        Assert.Equal(index, File.ReadAllBytes(daemon.Path("index.json")));
        Assert.Equal(old, await TagAsync(client, "app"));
        Assert.Equal("1.0-r0\n", HelloVersion(daemon.Path(), old));

        // Signed properly, the next refresh moves on.
        Publish("1.0-r1");
        Signal(daemon, "HUP");
        var moved = await MovedAsync(daemon.Path("index.json"), "app", old, daemon);
        Assert.Equal("1.0-r1\n", HelloVersion(daemon.Path(), moved));
    }

    [FuseFact]
    public async Task AnImageWhoseWorldNoLongerResolvesKeepsItsManifestWhileTheOthersMoveOn()
    {
        _custom.Add(new SyntheticPackage("extra", "1.0-r0") { Files = [SyntheticFile.Text("usr/share/extra", "1\n")] }).Write();
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0", "--image", "more=hello,extra"));
        daemon.WaitReady();
        var app = Manifest(daemon.Path("index.json"), "app");
        var more = Manifest(daemon.Path("index.json"), "more");

        // The rebuilt repository has no `extra` any more.
        _custom.Remove("extra");
        Publish("1.0-r1");
        Signal(daemon, "HUP");
        await MovedAsync(daemon.Path("index.json"), "app", app, daemon);

        Assert.Equal(more, Manifest(daemon.Path("index.json"), "more"));
        Assert.True(daemon.Logs($"refresh: more keeps its manifest {more}"), daemon.Log);
        Assert.True(daemon.Logs("extra"), daemon.Log);
    }

    [FuseFact]
    public async Task AReplacedManifestIsStillServedByDigestAfterARestartAndTheNewOneAtTheTag()
    {
        string old, moved;
        using (var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0")))
        {
            daemon.WaitReady();
            old = Manifest(daemon.Path("index.json"), "app");
            Publish("1.0-r1");
            Signal(daemon, "HUP");
            moved = await MovedAsync(daemon.Path("index.json"), "app", old, daemon);
            Assert.Equal(0, daemon.Stop());
        }

        using var again = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0"));
        again.WaitReady();
        using var client = Client();
        Assert.Equal(moved, Manifest(again.Path("index.json"), "app"));
        Assert.Equal(moved, await TagAsync(client, "app"));
        Assert.Equal("1.0-r0\n", HelloVersion(again.Path(), old));
        using var byDigest = await client.GetAsync($"/v2/app/manifests/{old}");
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [FuseFact]
    public async Task ALockedImageIsNeverRefreshedWhileTheOthersAre()
    {
        var lockFile = _dir.Combine("app.lock");
        var (exit, _, errors) = Pkg2dProcess.Run(["lock", .. Options()[..10], "--cache", _dir.Combine("lock-cache"), "--output", lockFile, "app=hello"]);
        Assert.True(exit == 0, errors);
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0", "--lock", lockFile, "--image", "other=hello"));
        daemon.WaitReady();
        var app = Manifest(daemon.Path("index.json"), "app");
        var other = Manifest(daemon.Path("index.json"), "other");

        Publish("1.0-r1");
        Signal(daemon, "HUP");
        await MovedAsync(daemon.Path("index.json"), "other", other, daemon);

        Assert.Equal(app, Manifest(daemon.Path("index.json"), "app"));
        Assert.Equal("1.0-r0\n", HelloVersion(daemon.Path(), app));
        Assert.DoesNotContain("refresh: app:", daemon.Log);
    }

    [FuseFact]
    public async Task AnOnDemandImageForgottenBeyondMaxImagesIsRetainedByDigest()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, Options("--refresh", "0", "--max-images", "1"));
        daemon.WaitReady();
        using var client = Client();
        var hello = Manifest(daemon.Path("hello", "index.json"), "latest");
        Assert.Equal(hello, await TagAsync(client, "hello"));
        using (var other = await client.GetAsync("/v2/zlib/manifests/latest"))
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);

        Assert.True(daemon.Logs("Forgetting the on-demand image hello"), daemon.Log);
        Assert.DoesNotContain("\"hello\"", File.ReadAllText(daemon.Path("index.json")));
        Assert.Equal("1.0-r0\n", HelloVersion(daemon.Path(), hello));
    }

    public void Dispose()
    {
        _output.WriteLine($"mirror requests: {string.Join(", ", _customMirror.Requests.Select(r => $"{r.Key}={r.Value}"))}");
        _customMirror.Dispose();
        _custom.Dispose();
        _alpine.Dispose();
        _dir.Dispose();
    }

    private HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(120) };

    private string CachedBlob(string digest) => Path.Combine(Cache, "blobs", "sha256", Hex(digest));

    private static string Hex(string digest) => digest["sha256:".Length..];

    private static string Sha256(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static void Signal(Daemon daemon, string signal) => Assert.Equal(0, Tool.Run("kill", [$"-{signal}", daemon.ProcessId.ToString()]).ExitCode);

    /// <summary>The manifest digest index.json gives for a ref name.</summary>
    private static string Manifest(string indexJson, string refName)
    {
        using var index = JsonDocument.Parse(File.ReadAllBytes(indexJson));
        return index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => IndexJson.RefName(m) == refName)
            .GetProperty("digest").GetString()!;
    }

    private static async Task<string> TagAsync(HttpClient client, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{name}/manifests/latest");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    /// <summary>Waits for the ref's manifest in index.json to be another than <paramref name="old"/>, and returns it.</summary>
    private static async Task<string> MovedAsync(string indexJson, string refName, string old, Daemon daemon)
    {
        for (var waited = 0; waited < 600; waited++)
        {
            var now = Manifest(indexJson, refName);
            if (now != old)
                return now;
            await Task.Delay(100);
        }
        throw new Xunit.Sdk.XunitException($"{refName} did not move from {old} within 60 s:\n{daemon.Log}");
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var waited = 0; waited < 300; waited++)
        {
            if (condition())
                return true;
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>Whether the metadata cache holds the facts of a package (of that version, unless null).</summary>
    private bool HasFacts(string name, string? version) =>
        Directory.GetFiles(Path.Combine(Cache, "metadata", "facts-v3"), "*.json").Any(path =>
        {
            using var facts = JsonDocument.Parse(File.ReadAllBytes(path));
            return facts.RootElement.TryGetProperty("name", out var n) && n.GetString() == name
                && (version is null || facts.RootElement.GetProperty("version").GetString() == version);
        });

    private static IReadOnlyList<string> Layers(string layout, string manifest)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", Hex(manifest))));
        return [.. document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    /// <summary>The layer of an image (read through the layout) that holds hello's file.</summary>
    private static string HelloLayer(string layout, string manifest) =>
        Layers(layout, manifest).Single(l => LayerFile(layout, l, "usr/share/hello/version") is not null);

    private static string HelloVersion(string layout, string manifest)
    {
        var layer = HelloLayer(layout, manifest);
        return LayerFile(layout, layer, "usr/share/hello/version")!;
    }

    /// <summary>A file's content in a gzip layer read from the layout, or null when the layer does not have it.</summary>
    private static string? LayerFile(string layout, string layer, string path)
    {
        using var file = File.OpenRead(Path.Combine(layout, "blobs", "sha256", Hex(layer)));
        // Package layers are gzip members; the top layer is a plain tar.
        var gzipped = file.ReadByte() == 0x1f && file.ReadByte() == 0x8b;
        file.Position = 0;
        using Stream content = gzipped ? new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress) : file;
        using var tar = new System.Formats.Tar.TarReader(content);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name.TrimStart('.', '/') == path && entry.DataStream is { } data)
                return new StreamReader(data, Encoding.UTF8).ReadToEnd();
        }
        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
