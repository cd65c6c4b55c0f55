using System.Security.Cryptography;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// `pkg2d serve` as a user runs it: a real daemon process, a real FUSE mount, a real HTTP mirror on 127.0.0.1
/// serving the fixtures, and skopeo, umoci and podman reading straight from the mount.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ServeTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-serve-");
    private readonly LoopbackMirror _mirror = new(Fixtures.Path("mirror"));

    private string Mount => _dir.Combine("mnt");
    private string Cache => _dir.Combine("cache");

    private Daemon StartArmhf(params string[] extra)
    {
        var daemon = new Daemon(Mount, Cache, ["--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, .. extra]);
        daemon.WaitReady();
        return daemon;
    }

    private static string Apk(string name) => Path.GetFileName(Fixtures.MirrorPackage(name));

    private int PackageRequests => _mirror.TotalRequests - _mirror.RequestsFor("v3.7/main/armhf/APKINDEX.tar.gz");

    private static IEnumerable<(string MediaType, string Digest, long Size)> Blobs(string layout, string reference)
    {
        var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json"))).RootElement;
        var manifestDigest = index.GetProperty("manifests").EnumerateArray()
            .Single(m => IndexJson.RefName(m) == reference)
            .GetProperty("digest").GetString()!;
        var manifest = JsonDocument.Parse(File.ReadAllBytes(BlobPath(layout, manifestDigest))).RootElement;
        yield return ("manifest", manifestDigest, new FileInfo(BlobPath(layout, manifestDigest)).Length);
        foreach (var d in manifest.GetProperty("layers").EnumerateArray().Prepend(manifest.GetProperty("config")))
            yield return (d.GetProperty("mediaType").GetString()!, d.GetProperty("digest").GetString()!, d.GetProperty("size").GetInt64());
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    [FuseFact("skopeo", "umoci")]
    public void ServesWhatExportWritesToSkopeoAndUmociAndStopsCleanly()
    {
        using (var daemon = StartArmhf("--image", "alpine-base"))
        {
            Tool.RunOk("skopeo", "inspect", "oci:" + Mount + ":alpine-base");
            Tool.RunOk("skopeo", "copy", "oci:" + Mount + ":alpine-base", "dir:" + _dir.Combine("copy"));
            Tool.RunOk("skopeo", "copy", "oci:" + Mount + ":alpine-base", "docker-archive:" + _dir.Combine("image.tar") + ":alpine-base:latest");
            Tool.RunOk("umoci", "unpack", "--image", Mount + ":alpine-base", _dir.Combine("bundle"));
            Assert.True(File.Exists(_dir.Combine("bundle", "rootfs", "lib", "apk", "db", "installed")));

            // The bytes under every digest are exactly what `pkg2d export` writes for the same image.
            var exported = _dir.Combine("exported");
            var (exit, _, error) = Pkg2dProcess.Run(["export", "--repo", _mirror.Url + "/v3.7/main",
                "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, "--cache", _dir.Combine("export-cache"), "--out", exported, "alpine-base"]);
            Assert.True(exit == 0, error);
            Assert.Equal(File.ReadAllBytes(Path.Combine(exported, "index.json")), File.ReadAllBytes(daemon.Path("index.json")));
            foreach (var blob in Directory.GetFiles(Path.Combine(exported, "blobs", "sha256")))
                Assert.Equal(SHA256.HashData(File.ReadAllBytes(blob)), SHA256.HashData(File.ReadAllBytes(daemon.Path("blobs", "sha256", Path.GetFileName(blob)))));

            Assert.Equal(0, daemon.Stop());
            Assert.Contains("STOPPING=1", string.Join('\n', daemon.Notifications));
        }
        Assert.False(Daemon.IsMounted(Mount));
    }

    [FuseFact("skopeo")]
    public void AfterARestartNothingIsDownloadedUntilALayerIsReadThenOnceAndAgainAfterEviction()
    {
        using (var first = StartArmhf("--image", "alpine-base"))
            Assert.Equal(16, PackageRequests);
        DropBytes();
        var before = _mirror.TotalRequests;

        using var daemon = StartArmhf("--cache-size", "1");
        var blobs = Blobs(Mount, "alpine-base").ToArray();
        foreach (var (_, digest, size) in blobs)
            Assert.Equal(size, new FileInfo(BlobPath(Mount, digest)).Length);
        Assert.Equal(before, _mirror.TotalRequests);

        var musl = blobs.Single(b => b.Digest == "sha256:" + Fixtures.MirrorPackageDataHash("musl"));
        var bytes = File.ReadAllBytes(BlobPath(Mount, musl.Digest));
        Assert.Equal(musl.Digest, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(1, _mirror.RequestsFor("v3.7/main/armhf/" + Apk("musl")) - 1);

        // A one-byte blob cache keeps no blob once another is produced: the next read downloads again, identical.
        // (The kernel may keep the pages of an immutable blob: drop them so the read reaches the daemon.)
        File.ReadAllBytes(BlobPath(Mount, "sha256:" + Fixtures.MirrorPackageDataHash("zlib")));
        File.WriteAllText("/proc/sys/vm/drop_caches", "1");
        var again = File.ReadAllBytes(BlobPath(Mount, musl.Digest));
        Assert.Equal(bytes, again);
        Assert.Equal(2, _mirror.RequestsFor("v3.7/main/armhf/" + Apk("musl")) - 1);
    }

    [FuseFact("skopeo", "umoci")]
    public void AnyWorldIsALayoutOfItsOwnAndAnUnknownOneIsENOENT()
    {
        using var daemon = StartArmhf();
        Tool.RunOk("skopeo", "copy", "oci:" + daemon.Path("zlib") + ":latest", "dir:" + _dir.Combine("zlib"));
        Tool.RunOk("umoci", "unpack", "--image", daemon.Path("zlib,scanelf") + ":latest", _dir.Combine("bundle"));
        Assert.True(File.Exists(_dir.Combine("bundle", "rootfs", "usr", "bin", "scanelf")));

        Assert.False(Directory.Exists(daemon.Path("no-such-package")));
        Assert.True(daemon.Logs("no-such-package"), daemon.Log);
        // Requested before, with a name that can be a reference: now also in the top-level index.
        Assert.Contains("\"zlib\"", File.ReadAllText(daemon.Path("index.json")));
    }

    [FuseFact]
    public void WithOnDemandOffOnlyTheConfiguredImagesAreServed()
    {
        using var daemon = StartArmhf("--image", "alpine-base", "--on-demand", "false");

        Assert.False(Directory.Exists(daemon.Path("openssh")));
        Assert.Contains("alpine-base", File.ReadAllText(daemon.Path("index.json")));
        Assert.Equal(0, _mirror.RequestsFor("v3.7/main/armhf/" + Apk("openssh")));
    }

    [FuseFact("skopeo")]
    public void EightConcurrentCopiesOfImagesSharingLayersAllSucceedAndDownloadEachPackageOnce()
    {
        using var daemon = StartArmhf("--image", "alpine-base", "--image", "ssh=openssh", "--cache-size", "1G");
        var before = PackageRequests;
        var copies = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Tool.Run("skopeo", ["copy", "oci:" + Mount + ":" + (i % 2 == 0 ? "alpine-base" : "ssh"), "dir:" + _dir.Combine("copy" + i)]))).ToArray();
        Task.WaitAll(copies);

        Assert.All(copies, c => Assert.True(c.Result.ExitCode == 0, c.Result.Errors));
        Assert.Equal(0, PackageRequests - before);
        foreach (var name in new[] { "alpine-base", "ssh" })
        {
            foreach (var (_, digest, _) in Blobs(Mount, name))
                Assert.Equal(digest["sha256:".Length..], Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(BlobPath(Mount, digest)))));
        }
    }

    [FuseFact]
    public void AMirrorThatGoesAwayMidBlobIsEIOAndTheNextReadTriesAgain()
    {
        using (StartArmhf("--image", "alpine-base")) { }
        DropBytes();
        // The mirror goes away in the middle of the package, on every try.
        _mirror.Inject("v3.7/main/armhf/" + Apk("zlib"), MirrorFault.DropAfter(1000));

        using var daemon = StartArmhf();
        var zlib = BlobPath(Mount, "sha256:" + Fixtures.MirrorPackageDataHash("zlib"));
        Assert.Throws<IOException>(() => File.ReadAllBytes(zlib));
        Assert.True(daemon.Logs(Apk("zlib")), daemon.Log);
        Assert.True(File.Exists(daemon.Path("index.json")));

        _mirror.Clear("v3.7/main/armhf/" + Apk("zlib"));
        Assert.Equal("sha256:" + Fixtures.MirrorPackageDataHash("zlib"), "sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(zlib))));
    }

    [FuseFact]
    public void SigtermWhileAReadWaitsForTheMirrorUnmountsAndExits()
    {
        using (StartArmhf("--image", "alpine-base")) { }
        DropBytes();
        _mirror.Inject("v3.7/main/armhf/" + Apk("busybox"), MirrorFault.Stall(1000, TimeSpan.FromSeconds(20)));
        using var daemon = StartArmhf();
        var reader = Task.Run(() => Tool.Run("cat", [BlobPath(Mount, "sha256:" + Fixtures.MirrorPackageDataHash("busybox"))]));
        Thread.Sleep(1500);

        Assert.Equal(0, daemon.Stop());
        Assert.False(Daemon.IsMounted(Mount));
        Assert.NotEqual(0, reader.Result.ExitCode);
    }

    [FuseFact]
    public void ARestartReplacesTheStaleMountOfACrashedDaemon()
    {
        var crashed = StartArmhf("--image", "alpine-base");
        crashed.Crash();
        Assert.True(Daemon.IsMounted(Mount));

        using var daemon = StartArmhf();
        Assert.Contains("alpine-base", File.ReadAllText(daemon.Path("index.json")));
        Assert.Equal(0, daemon.Stop());
        Assert.False(Daemon.IsMounted(Mount));
        crashed.Dispose();
    }

    [FuseFact("podman")]
    public void PodmanRunsTheRealAlpineImageFromTheTopLevelAndFromAWorld()
    {
        using var repo = new MinirootfsRepository();
        using var mirror = new LoopbackMirror(repo.Root);
        using var daemon = StartRunnable(repo, mirror);
        using var podman = new Podman();

        var top = podman.RunOk("run", "--rm", "--network", "none", "oci:" + Mount + ":alpine", "/bin/sh", "-c", "ls / && apk info");
        var world = podman.RunOk("run", "--rm", "--network", "none", "oci:" + daemon.Path("apk-tools"), "/bin/sh", "-c", "apk info");

        Assert.Contains("etc\n", top);
        foreach (var name in repo.PackageNames)
        {
            Assert.True(top.Contains(name + "\n"), $"{name} is not installed in the top-level image:\n{top}");
            Assert.True(world.Contains(name + "\n"), $"{name} is not installed in the world's image:\n{world}");
        }
    }

    /// <summary>The design's first use: `skopeo copy oci:/mnt/pkg2:NAME docker-daemon:NAME:latest`, then `docker run` of it.</summary>
    [FuseFact("skopeo", "dockerd", "docker")]
    public void SkopeoCopiesFromTheMountIntoARealDockerDaemonThatRunsTheImage()
    {
        using var repo = new MinirootfsRepository();
        using var mirror = new LoopbackMirror(repo.Root);
        using var daemon = StartRunnable(repo, mirror);
        using var docker = new PrivateDocker(_dir.Combine("docker"));

        Tool.RunOk("skopeo", "copy", "--dest-daemon-host", "unix://" + docker.Socket, "oci:" + Mount + ":alpine", "docker-daemon:alpine:latest");
        var output = docker.RunOk("run", "--rm", "--network=none", "alpine:latest", "/bin/sh", "-c", "apk info && id klogd");

        foreach (var name in repo.PackageNames)
            Assert.True(output.Contains(name + "\n"), $"{name} is not installed in the image Docker ran:\n{output}");
        Assert.Contains("(klogd)", output);
    }

    /// <summary>A daemon serving the runnable minirootfs repository over a loopback mirror, with its world as image `alpine`; ready.</summary>
    private Daemon StartRunnable(MinirootfsRepository repo, LoopbackMirror mirror)
    {
        var keys = repo.KeysDirs.SelectMany(k => new[] { "--keys-dir", k }).ToArray();
        var daemon = new Daemon(Mount, Cache, ["--repo", mirror.Url + "/" + Path.GetRelativePath(repo.Root, repo.Base), "--arch", "x86_64", .. keys,
            "--image", "alpine=" + string.Join(',', repo.World)]);
        try
        {
            daemon.WaitReady();
            return daemon;
        }
        catch
        {
            daemon.Dispose();
            throw;
        }
    }

    /// <summary>Empties the blob and package caches, keeping the metadata: what a cache that evicted everything holds.</summary>
    private void DropBytes()
    {
        Directory.Delete(Path.Combine(Cache, "blobs"), recursive: true);
        Directory.Delete(Path.Combine(Cache, "packages"), recursive: true);
    }

    public void Dispose()
    {
        if (Daemon.IsMounted(Mount))
            Tool.Run("umount", ["-l", Mount]);
        _mirror.Dispose();
        _dir.Dispose();
    }
}
