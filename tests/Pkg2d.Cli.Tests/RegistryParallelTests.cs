using System.Security.Cryptography;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>Many clients at once through `serve --listen`: every pull gets the verified image, every layer is produced once.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RegistryParallelTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-regpar-");
    private readonly LoopbackMirror _mirror = new(Fixtures.Path("mirror"));

    [ToolFact("skopeo")]
    public void Eight_parallel_pulls_of_images_sharing_layers_all_get_the_verified_images_and_each_package_is_downloaded_once()
    {
        string[] options = ["--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir,
            "--image", "alpine-base", "--image", "ssh=openssh"];
        using (var first = new RegistryDaemon(_dir.Combine("cache"), options))
            Assert.Equal(0, first.Stop());
        // Restarted with its facts and catalog but no package files: every layer must be downloaded again while eight
        // clients ask for it at once, and shared work must still happen once.
        Directory.Delete(_dir.Combine("cache", "packages"), recursive: true);
        _mirror.ResetCounts();
        using var daemon = new RegistryDaemon(_dir.Combine("cache"), options);
        Assert.Equal(0, _mirror.Requests.Count(r => r.Key.EndsWith(".apk", StringComparison.Ordinal)));

        var pulls = Enumerable.Range(0, 8).Select(i => Task.Run(() => Tool.Run("skopeo", ["copy", "--preserve-digests", "--src-tls-verify=false",
            $"docker://{daemon.Host}/{(i % 2 == 0 ? "alpine-base" : "ssh")}:latest", "oci:" + _dir.Combine("copy" + i) + ":x"]))).ToArray();
        Task.WaitAll(pulls);

        Assert.All(pulls, p => Assert.True(p.Result.ExitCode == 0, p.Result.Errors));
        var downloads = _mirror.Requests.Where(r => r.Key.EndsWith(".apk", StringComparison.Ordinal)).ToArray();
        Assert.True(downloads.Length >= 16, $"only {downloads.Length} packages were downloaded");
        Assert.All(downloads, r => Assert.True(r.Value == 1, $"{r.Key} was downloaded {r.Value} times"));
        for (var i = 0; i < pulls.Length; i++)
        {
            var copy = _dir.Combine("copy" + i);
            var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(copy, "index.json"))).RootElement.GetProperty("manifests")[0];
            foreach (var blob in Directory.GetFiles(Path.Combine(copy, "blobs", "sha256")))
                Assert.Equal(Path.GetFileName(blob), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(blob))));
            Assert.True(File.Exists(Path.Combine(copy, "blobs", "sha256", manifest.GetProperty("digest").GetString()!["sha256:".Length..])));
        }
        Assert.Equal(0, daemon.Stop());
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _dir.Dispose();
    }
}
