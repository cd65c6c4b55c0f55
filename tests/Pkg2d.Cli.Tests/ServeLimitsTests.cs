using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// `pkg2d serve` under load it should refuse or shed: long worlds, many worlds, many worlds at once, a flood of
/// distinct worlds; and `serve --lock`. Real daemons over a real HTTP mirror of the fixtures.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServeLimitsTests(ITestOutputHelper output) : IDisposable
{
    private const string Index = "v3.7/main/armhf/APKINDEX.tar.gz";

    private readonly TempDirectory _dir = new("pkg2d-limits-");
    private readonly LoopbackMirror _mirror = new(Fixtures.Path("mirror"));

    private string[] Armhf => ["--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir];

    private string Cache => _dir.Combine("cache");

    private static string Apk(string name) => Path.GetFileName(Fixtures.MirrorPackage(name));

    private static HttpClient Client(string host) => new() { BaseAddress = new Uri($"http://{host}"), Timeout = TimeSpan.FromSeconds(120) };

    [FuseFact]
    public async Task AWorldOverTheEntryLimitIsNotFoundOnTheMountAndTheRegistryAndDownloadsNothing()
    {
        var port = FreePort();
        using var daemon = new Daemon(_dir.Combine("mnt"), Cache, [.. Armhf, "--listen", $"127.0.0.1:{port}", "--max-world-entries", "2"]);
        daemon.WaitReady();
        using var client = Client($"127.0.0.1:{port}");

        var (exit, _, errors) = Tool.Run("cat", [daemon.Path("zlib,scanelf,musl", "index.json")]);
        Assert.NotEqual(0, exit);
        Assert.Contains("No such file or directory", errors);
        using var response = await client.GetAsync("/v2/zlib/scanelf/musl/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await ErrorCodeAsync(response));
        Assert.Equal(0, _mirror.TotalRequests);
        Assert.True(daemon.Logs("MaxWorldEntries"), daemon.Log);

        // At the limit is fine.
        using var two = await client.GetAsync("/v2/zlib/scanelf/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, two.StatusCode);
        Assert.True(File.Exists(daemon.Path("zlib,scanelf", "index.json")));
    }

    [FixtureFact]
    public async Task BeyondMaxImagesTheLeastRecentlyUsedOnDemandImageIsForgottenAlsoFromTheCatalog()
    {
        using var daemon = new RegistryDaemon(Cache, [.. Armhf, "--image", "alpine-base", "--max-images", "2"]);
        using var client = Client(daemon.Host);
        foreach (var name in new[] { "zlib", "scanelf", "musl" })
        {
            using var response = await client.GetAsync($"/v2/{name}/manifests/latest");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(["alpine-base", "musl", "scanelf"], Catalog());
        using var listed = await client.GetAsync("/v2/_catalog");
        Assert.Equal(["alpine-base", "musl", "scanelf"],
            JsonDocument.Parse(await listed.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("Forgetting the on-demand image zlib", daemon.Log);

        // Forgotten, not refused: asked for again, it is resolved again (and forgets the next oldest).
        using var again = await client.GetAsync("/v2/zlib/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(["alpine-base", "musl", "zlib"], Catalog());
    }

    [FixtureFact]
    public async Task WithMaxResolvingOneASecondWorldIsTooManyRequestsWhileTheFirstWaitsForAStalledMirror()
    {
        _mirror.Inject(Index, MirrorFault.Stall(1000, TimeSpan.FromSeconds(8)));
        // The wait is a setting of the configuration file only.
        var config = _dir.Combine("pkg2d.json");
        File.WriteAllText(config, """{ "pkg2d": { "ResolvingWait": 1 } }""");
        using var daemon = new RegistryDaemon(Cache, [.. Armhf, "--config", config, "--max-resolving", "1"]);
        using var client = Client(daemon.Host);

        var first = client.GetAsync("/v2/zlib/manifests/latest");
        for (var i = 0; i < 100 && _mirror.RequestsFor(Index) == 0; i++)
            await Task.Delay(50);
        Assert.Equal(1, _mirror.RequestsFor(Index));

        using var second = await client.GetAsync("/v2/scanelf/manifests/latest");
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal("TOOMANYREQUESTS", await ErrorCodeAsync(second));
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.False(first.IsCompleted);

        using var done = await first;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        using var retried = await client.GetAsync("/v2/scanelf/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }

    [FixtureFact]
    public async Task AFloodOfDistinctWorldsGetsOnly200404Or429WithJsonBodiesAndTheDaemonStaysUpAndSmall()
    {
        // Names the registry takes (no '+'), alone and in pairs, and names no package has.
        var packages = Directory.GetFiles(Path.Combine(Fixtures.MirrorBase, "armhf"), "*.apk")
            .Select(f => Path.GetFileName(f)).Select(f => f[..f.LastIndexOf('-', f.LastIndexOf('-') - 1)])
            .Where(n => !n.Contains('+')).Order(StringComparer.Ordinal).ToArray();
        var worlds = packages.Take(24)
            .Concat(Enumerable.Range(0, 10).Select(i => packages[i] + "/" + packages[^(i + 1)]))
            .Concat(Enumerable.Range(0, 6).Select(i => $"no-such-package-{i}"))
            .ToArray();
        Assert.Equal(40, worlds.Distinct().Count());

        using var daemon = new RegistryDaemon(Cache, Armhf);
        using var client = Client(daemon.Host);
        var responses = await Task.WhenAll(worlds.Select(async world =>
        {
            using var response = await client.GetAsync($"/v2/{world}/manifests/latest");
            var body = await response.Content.ReadAsStringAsync();
            return (World: world, response.StatusCode, Body: body);
        }));

        var peak = PeakResidentBytes(daemon.ProcessId);
        output.WriteLine($"peak RSS (VmHWM) of the daemon: {peak / (1024.0 * 1024):F1} MiB");
        foreach (var group in responses.GroupBy(r => r.StatusCode).OrderBy(g => g.Key))
            output.WriteLine($"{(int)group.Key}: {group.Count()} ({string.Join(' ', group.Select(r => r.World))})");

        Assert.All(responses, r =>
        {
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests, $"{r.World}: {r.StatusCode} {r.Body}");
            using var json = JsonDocument.Parse(r.Body);
            if (r.StatusCode != HttpStatusCode.OK)
                Assert.NotEmpty(json.RootElement.GetProperty("errors").EnumerateArray());
        });
        Assert.All(responses.Where(r => r.World.StartsWith("no-such-package", StringComparison.Ordinal)),
            r => Assert.NotEqual(HttpStatusCode.OK, r.StatusCode));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.False(daemon.HasExited, daemon.Log);
        using var alive = await client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.True(peak < 250L << 20, $"the daemon's peak RSS was {peak >> 20} MiB");
    }

    [FixtureFact]
    public async Task WithALockConfiguredImagesAreBuiltFromItWithoutReadingTheIndex()
    {
        var lockFile = _dir.Combine("images.lock");
        Ok(Pkg2d(["lock", .. Armhf, "--cache", _dir.Combine("lock-cache"), "--output", lockFile, "alpine-base", "ssh=openssh"]));
        var exported = _dir.Combine("exported");
        Ok(Pkg2d(["export", .. Armhf, "--cache", _dir.Combine("lock-cache"), "--lock", lockFile, "--out", exported, "alpine-base"]));
        _mirror.ResetCounts();

        using var daemon = new RegistryDaemon(Cache, [.. Armhf, "--lock", lockFile, "--image", "alpine-base", "--image", "ssh=openssh"]);
        using var client = Client(daemon.Host);
        Assert.Equal(0, _mirror.RequestsFor(Index));
        Assert.Equal(1, _mirror.RequestsFor("v3.7/main/armhf/" + Apk("openssh")));
        using var response = await client.GetAsync("/v2/alpine-base/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The very image that export builds from the same lock.
        var digest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(exported, "index.json"))).RootElement
            .GetProperty("manifests")[0].GetProperty("digest").GetString();
        Assert.Equal(digest, response.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal(["alpine-base", "ssh"], await RepositoriesAsync(client));
        Assert.Equal(0, _mirror.RequestsFor(Index));
    }

    [FixtureFact]
    public async Task ALockedPackageMissingFromMirrorAndCacheKeepsOnlyItsImageOut()
    {
        var lockFile = _dir.Combine("images.lock");
        Ok(Pkg2d(["lock", .. Armhf, "--cache", _dir.Combine("lock-cache"), "--output", lockFile, "alpine-base", "ssh=openssh"]));
        _mirror.ResetCounts();
        _mirror.Inject("v3.7/main/armhf/" + Apk("openssh"), MirrorFault.NotFound());

        // zlib is in no locked image: it is resolved against the index as before.
        using var daemon = new RegistryDaemon(Cache, [.. Armhf, "--lock", lockFile, "--image", "alpine-base", "--image", "ssh=openssh", "--image", "zlib"]);
        using var client = Client(daemon.Host);
        Assert.Equal(["alpine-base", "zlib"], await RepositoriesAsync(client));
        Assert.Contains("Image ssh", daemon.Log);
        Assert.Contains(Apk("openssh")[..^".apk".Length], daemon.Log);
        using var response = await client.GetAsync("/v2/alpine-base/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>The names of the images the catalog on disk remembers.</summary>
    private string[] Catalog() => [.. Directory.GetFiles(Path.Combine(Cache, "images"), "*.json")
        .Select(f => JsonDocument.Parse(File.ReadAllBytes(f)).RootElement.GetProperty("name").GetString()!)
        .Order(StringComparer.Ordinal)];

    private static async Task<string[]> RepositoriesAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v2/_catalog");
        return [.. JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!)];
    }

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors")[0].GetProperty("code").GetString();

    private static long PeakResidentBytes(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;

    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    private static void Ok((int ExitCode, string Output, string Errors) run) => Assert.True(run.ExitCode == 0, run.Errors);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _dir.Dispose();
    }
}
