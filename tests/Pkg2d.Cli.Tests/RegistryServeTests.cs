using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// `pkg2d serve --listen` as clients use it: a real daemon, a real HTTP mirror of the fixtures on 127.0.0.1, and
/// skopeo, umoci, podman, CNCF distribution and Docker pulling from it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RegistryServeTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-reg-");
    private readonly LoopbackMirror _mirror = new(Fixtures.Path("mirror"));

    private RegistryDaemon StartArmhf(params string[] extra) =>
        new(_dir.Combine("cache"), ["--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, .. extra]);

    /// <summary>The x86_64 minirootfs packages, runnable here: image "alpine" is their world.</summary>
    private static RegistryDaemon StartRunnable(MinirootfsRepository repo, LoopbackMirror mirror, string cache) =>
        new(cache, ["--repo", mirror.Url + "/" + Path.GetRelativePath(repo.Root, repo.Base), "--arch", "x86_64",
            .. repo.KeysDirs.SelectMany(k => new[] { "--keys-dir", k }), "--image", "alpine=" + string.Join(',', repo.World)]);

    [ToolFact("skopeo", "umoci")]
    public void SkopeoReadsTheExportedManifestBytesAndCopiesImagesUmociUnpacks()
    {
        using var daemon = StartArmhf("--image", "alpine-base");
        var exported = _dir.Combine("exported");
        var (exit, _, error) = Pkg2dProcess.Run(["export", "--repo", _mirror.Url + "/v3.7/main",
            "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, "--cache", _dir.Combine("export-cache"), "--out", exported, "alpine-base"]);
        Assert.True(exit == 0, error);
        var digest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(exported, "index.json"))).RootElement
            .GetProperty("manifests")[0].GetProperty("digest").GetString()!;
        var manifest = File.ReadAllText(Path.Combine(exported, "blobs", "sha256", digest["sha256:".Length..]));

        Assert.Equal(manifest, Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{daemon.Host}/alpine-base:latest"));
        Assert.Equal(manifest, Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{daemon.Host}/alpine-base@{digest}"));

        Tool.RunOk("skopeo", "copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{daemon.Host}/alpine-base:latest", "oci:" + _dir.Combine("copy") + ":x");
        Tool.RunOk("umoci", "unpack", "--image", _dir.Combine("copy") + ":x", _dir.Combine("bundle"));
        Assert.True(File.Exists(_dir.Combine("bundle", "rootfs", "lib", "apk", "db", "installed")));
        // The copy is the exported image: the same manifest, config and layers, byte for byte (skopeo would
        // otherwise compress the uncompressed top layer).
        var copied = JsonDocument.Parse(File.ReadAllBytes(_dir.Combine("copy", "index.json"))).RootElement.GetProperty("manifests")[0];
        Assert.Equal(digest, copied.GetProperty("digest").GetString());
        var referenced = JsonDocument.Parse(manifest).RootElement;
        foreach (var blob in referenced.GetProperty("layers").EnumerateArray().Append(referenced.GetProperty("config")))
        {
            var hex = blob.GetProperty("digest").GetString()!["sha256:".Length..];
            Assert.Equal(File.ReadAllBytes(Path.Combine(exported, "blobs", "sha256", hex)), File.ReadAllBytes(_dir.Combine("copy", "blobs", "sha256", hex)));
        }

        // An on-demand world named by path segments, Nixery's way.
        Tool.RunOk("skopeo", "copy", "--src-tls-verify=false", $"docker://{daemon.Host}/zlib/scanelf:latest", "oci:" + _dir.Combine("world") + ":x");
        Tool.RunOk("umoci", "unpack", "--image", _dir.Combine("world") + ":x", _dir.Combine("world-bundle"));
        Assert.True(File.Exists(_dir.Combine("world-bundle", "rootfs", "usr", "bin", "scanelf")));
        var missing = Tool.Run("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{daemon.Host}/no-such-package:latest"]);
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Equal(0, daemon.Stop());
    }

    [ToolFact("skopeo")]
    public void WithOnDemandOffOnlyTheConfiguredImagesAreServed()
    {
        using var daemon = StartArmhf("--image", "alpine-base", "--on-demand", "false");
        Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{daemon.Host}/alpine-base:latest");
        Assert.NotEqual(0, Tool.Run("skopeo", ["inspect", "--raw", "--tls-verify=false", $"docker://{daemon.Host}/zlib:latest"]).ExitCode);
    }

    [ToolFact("podman")]
    public void PodmanPullsAndRunsAConfiguredImageAndAnOnDemandOne()
    {
        using var repo = new MinirootfsRepository();
        using var mirror = new LoopbackMirror(repo.Root);
        using var daemon = StartRunnable(repo, mirror, _dir.Combine("cache"));
        using var podman = new Podman();

        podman.RunOk("pull", "--tls-verify=false", $"{daemon.Host}/alpine:latest");
        var top = podman.RunOk("run", "--rm", "--network", "none", $"{daemon.Host}/alpine:latest", "/bin/sh", "-c", "apk info");
        var world = podman.RunOk("run", "--rm", "--network", "none", "--tls-verify=false", $"{daemon.Host}/busybox/apk-tools:latest", "/bin/sh", "-c", "apk info");
        foreach (var name in repo.PackageNames)
            Assert.True(top.Contains(name + "\n"), $"{name} is not installed in the configured image:\n{top}");
        Assert.Contains("apk-tools\n", world);
        Assert.Contains("busybox\n", world);
    }

    [ToolFact("docker-registry", "skopeo", "umoci")]
    public async Task DistributionAsAPullThroughCacheServesItsImages()
    {
        using var daemon = StartArmhf("--image", "alpine-base");
        var port = FreePort();
        var config = _dir.Combine("registry.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {_dir.Combine("registry")}
            http:
              addr: 127.0.0.1:{port}
            proxy:
              remoteurl: http://{daemon.Host}
            """);
        using var registry = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("docker-registry", ["serve", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var log = new StringBuilder();
        registry.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        registry.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        registry.BeginErrorReadLine();
        registry.BeginOutputReadLine();
        try
        {
            await WaitForAsync($"http://127.0.0.1:{port}/v2/", registry);
            foreach (var name in new[] { "alpine-base", "zlib/scanelf" })
            {
                var copy = _dir.Combine("copy-" + name.Replace('/', '-'));
                var (exit, _, errors) = Tool.Run("skopeo", ["copy", "--src-tls-verify=false", $"docker://127.0.0.1:{port}/{name}:latest", "oci:" + copy + ":x"]);
                lock (log)
                    Assert.True(exit == 0, $"{errors}\n{log}");
                Tool.RunOk("umoci", "unpack", "--image", copy + ":x", copy + "-bundle");
                Assert.True(File.Exists(Path.Combine(copy + "-bundle", "rootfs", "lib", "apk", "db", "installed")));
            }
        }
        finally
        {
            registry.Kill();
            registry.WaitForExit();
        }
    }

    [ToolFact("dockerd", "docker")]
    public void DockerPullsAndRunsAnImage()
    {
        using var repo = new MinirootfsRepository();
        using var mirror = new LoopbackMirror(repo.Root);
        using var daemon = StartRunnable(repo, mirror, _dir.Combine("cache"));
        using var docker = new PrivateDocker(_dir.Combine("docker"));

        docker.RunOk("pull", $"{daemon.Host}/alpine");
        var output = docker.RunOk("run", "--rm", "--network=none", $"{daemon.Host}/alpine", "/bin/sh", "-c", "apk info");
        foreach (var name in repo.PackageNames)
            Assert.True(output.Contains(name + "\n"), $"{name} is not installed in the image Docker ran:\n{output}");
        docker.RunOk("pull", $"{daemon.Host}/busybox/apk-tools");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitForAsync(string url, System.Diagnostics.Process process)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; i < 100 && !process.HasExited; i++)
        {
            try
            {
                using var response = await client.GetAsync(url);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(100);
            }
        }
        throw new InvalidOperationException($"{url} did not answer");
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _dir.Dispose();
    }
}
