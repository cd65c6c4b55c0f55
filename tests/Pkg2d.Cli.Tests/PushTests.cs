using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pkg2d.Oci;
using Pkg2d.Oci.Distribution;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>`pkg2d push` to a real CNCF distribution registry on 127.0.0.1, checked with skopeo, umoci and the registry's access log.</summary>
public class PushTests
{
    private static (int ExitCode, string Output, string Errors) Pkg2d(string[] arguments, IDictionary<string, string>? environment = null) =>
        Pkg2dProcess.Run(arguments, environment);

    /// <summary>
    /// The fixture mirror's armhf packages, bare images (no base world), a cache of the test's own; no SBOMs, whose
    /// push SbomTests covers, so the counts here are the images' own.
    /// </summary>
    private static string[] Mirror(TempDirectory dir) =>
        ["--repo", Fixtures.MirrorBase, "--arch", "armhf", "--keys-dir", Fixtures.KeysDir, "--cache", dir.Combine("cache"), "--base", "", "--sbom", "false"];

    private static string[] PushTo(PushRegistry registry) => ["push", "--to", registry.Host + "/team", "--tls-verify=false"];

    /// <summary>No credentials anywhere podman or docker would look (this process's home and runtime folders are not used).</summary>
    private static Dictionary<string, string> NoAuthFiles(TempDirectory dir) => new()
    {
        ["HOME"] = dir.Combine("home"),
        ["XDG_RUNTIME_DIR"] = dir.Combine("run"),
        ["XDG_CONFIG_HOME"] = "",
        ["DOCKER_CONFIG"] = "",
        ["REGISTRY_AUTH_FILE"] = "",
    };

    [ToolFact("docker-registry", "skopeo", "umoci")]
    public async Task PushedImageIsTheExportedImageByteForByte()
    {
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();

        var (exit, output, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        var layout = Export(dir, [.. Mirror(dir)], "alpine-base");
        var manifest = ManifestOf(layout, "alpine-base");
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
        Assert.Equal($"{registry.Host}/team/alpine-base:latest@{digest}\n", output);
        Assert.Contains("blobs 18 uploaded", error);
        Assert.Equal(manifest, Inspect(registry, "team/alpine-base:latest"));

        var copy = dir.Combine("copy");
        // Without --preserve-digests skopeo would compress the uncompressed top layer on the way.
        Tool.RunOk("skopeo", "copy", "--preserve-digests", "--src-tls-verify=false", $"docker://{registry.Host}/team/alpine-base:latest", $"oci:{copy}:x");
        (await LayoutVerifier.VerifyAsync(copy)).ThrowIfInvalid();
        Assert.Equal(Blobs(layout), Blobs(copy));
        Tool.RunOk("umoci", "unpack", "--image", copy + ":x", dir.Combine("bundle"));
        Assert.Equal("/bin/busybox", new FileInfo(dir.Combine("bundle", "rootfs", "bin", "sh")).LinkTarget);
    }

    [ToolFact("docker-registry")]
    public void SecondPushUploadsNothingAndSaysEverythingWasSkipped()
    {
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();
        var first = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));
        Assert.True(first.ExitCode == 0, first.Errors);
        registry.ResetLog();

        var (exit, output, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        Assert.Equal(first.Output, output);
        Assert.DoesNotContain("\e[", error); // progress is drawn only on a terminal
        Assert.Contains("blobs 0 uploaded (0 B), 0 mounted, 18 skipped; manifests 0 pushed, 1 skipped", error);
        var requests = registry.Requests();
        Assert.Equal(18, requests.Count(r => r.Method == "HEAD" && r.Path.Contains("/blobs/", StringComparison.Ordinal)));
        Assert.All(requests, r => Assert.True(r.Method is "GET" or "HEAD", $"{r.Method} {r.Path}"));
    }

    [ToolFact("docker-registry", "skopeo")]
    public void PushedAsApkTools3TheImageSharesThePackageLayersAndOnlyItsTopLayerAndConfigAreNew()
    {
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();
        var two = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));
        Assert.True(two.ExitCode == 0, two.Errors);

        var (exit, output, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "--apk-tools", "3", "alpine-base"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        Assert.NotEqual(two.Output, output);
        Assert.Contains("blobs 2 uploaded", error);
        Assert.Contains("16 skipped", error);
        var manifest = JsonDocument.Parse(Inspect(registry, "team/alpine-base:latest")).RootElement;
        Assert.Equal("3", manifest.GetProperty("annotations").GetProperty("dev.pkg2d.apk-tools").GetString());
    }

    /// <summary>Settings from options and an image file reach the pushed config; only the config and manifest differ from the plain image.</summary>
    [ToolFact("docker-registry", "skopeo")]
    public void PushedWithSettingsTheConfigSaysWhatToRunAndThePackageLayersAreShared()
    {
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();
        var plain = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));
        Assert.True(plain.ExitCode == 0, plain.Errors);
        var file = dir.Combine("images.yaml");
        File.WriteAllText(file, "images:\n  - name: alpine-base\n    packages: [alpine-base]\n    entrypoint: [/bin/busybox, echo]\n    stop-signal: SIGQUIT\n");

        var (exit, _, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "--env", "MODE=test", "--expose", "53/udp", "--file", file], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        Assert.Contains("blobs 1 uploaded", error);
        var config = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", "--config", "--tls-verify=false", $"docker://{registry.Host}/team/alpine-base:latest"))
            .RootElement.GetProperty("config");
        Assert.Equal(["/bin/busybox", "echo"], config.GetProperty("Entrypoint").EnumerateArray().Select(e => e.GetString()));
        Assert.False(config.TryGetProperty("Cmd", out _));
        Assert.Contains("MODE=test", config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.True(config.GetProperty("ExposedPorts").TryGetProperty("53/udp", out _));
        Assert.Equal("SIGQUIT", config.GetProperty("StopSignal").GetString());
    }

    [ToolFact("docker-registry", "skopeo")]
    public void SharedLayersAreMountedIntoTheSecondRepository()
    {
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();

        var (exit, _, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "base=alpine-base", "musl"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        // Layout order is by name: base first, so musl's package layer is already in team/base.
        var muslLayer = "sha256:" + Fixtures.MirrorPackageDataHash("musl");
        var requests = registry.Requests();
        var mount = Assert.Single(requests, r => r.Method == "POST" && r.Path.Contains("mount=", StringComparison.Ordinal));
        Assert.Equal($"/v2/team/musl/blobs/uploads/?mount={Uri.EscapeDataString(muslLayer)}&from=team%2Fbase", mount.Path);
        Assert.Equal(201, mount.Status);
        Assert.DoesNotContain(requests, r => r.Method == "PUT" && r.Path.StartsWith("/v2/team/musl/blobs/", StringComparison.Ordinal)
            && r.Path.Contains(Uri.EscapeDataString(muslLayer), StringComparison.Ordinal));
        Assert.Contains("1 mounted", error);
        var layers = JsonDocument.Parse(Inspect(registry, "team/musl:latest")).RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => l.GetProperty("digest").GetString());
        Assert.Contains(muslLayer, layers);
    }

    [ToolFact("docker-registry", "skopeo")]
    public void MultiArchImagePushesItsManifestsByDigestThenTheIndexByTag()
    {
        using var x86 = new SyntheticRepository("x86_64")
            .Add(new SyntheticPackage("tool", "2.0-r1") { Files = [SyntheticFile.Directory("usr"), SyntheticFile.Text("usr/tool", "x86_64\n")] }).Write();
        using var arm = new SyntheticRepository("aarch64")
            .Add(new SyntheticPackage("tool", "2.0-r1") { Files = [SyntheticFile.Directory("usr"), SyntheticFile.Text("usr/tool", "aarch64\n")] }).Write();
        Directory.CreateDirectory(Path.Combine(x86.Base, "aarch64"));
        foreach (var file in Directory.GetFiles(arm.ArchDir))
            File.Copy(file, Path.Combine(x86.Base, "aarch64", Path.GetFileName(file)));
        using var registry = new PushRegistry();
        using var dir = new TempDirectory();
        string[] options = ["--repo", x86.Base, "--keys-dir", x86.KeysDir, "--cache", dir.Combine("cache"), "--base", "", "--arch", "x86_64,aarch64", "--sbom", "false"];

        var (exit, _, error) = Pkg2d([.. PushTo(registry), "--tag", "v2", .. options, "tool"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        var layout = Export(dir, options, "tool");
        var index = ManifestOf(layout, "tool");
        Assert.Equal(index, Inspect(registry, "team/tool:v2"));
        var children = JsonDocument.Parse(index).RootElement.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("digest").GetString()!).ToArray();
        Assert.Equal(2, children.Length);
        foreach (var child in children)
            Assert.Equal(File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", child[7..])), Inspect(registry, "team/tool@" + child));
        var manifestPuts = registry.Requests().Where(r => r.Method == "PUT" && r.Path.Contains("/manifests/", StringComparison.Ordinal))
            .Select(r => r.Path).ToArray();
        Assert.Equal([.. children.Select(c => "/v2/team/tool/manifests/" + c).Order(), "/v2/team/tool/manifests/v2"],
            [.. manifestPuts[..2].Order(), manifestPuts[2]]);
    }

    [ToolFact("docker-registry", "htpasswd", "skopeo")]
    public void BasicAuthRegistryTakesTheAuthFileAndRefusesWithoutIt()
    {
        using var dir = new TempDirectory();
        var htpasswd = PushRegistry.Htpasswd(dir.Path, "pusher", "s3cret");
        using var registry = new PushRegistry($"  htpasswd:\n    realm: pkg2d-test\n    path: {htpasswd}\n");

        var refused = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));

        Assert.Equal(1, refused.ExitCode);
        Assert.StartsWith($"pkg2d: error: push {registry.Host}/team/alpine-base: ", refused.Errors.Split('\n').Single(l => l.StartsWith("pkg2d: error:")));
        Assert.Contains("401", refused.Errors);
        Assert.Contains($"no credentials for {registry.Host}", refused.Errors);
        Assert.DoesNotContain("   at ", refused.Errors);

        var authFile = dir.Combine("auth.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("pusher:s3cret"));
        File.WriteAllText(authFile, JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry.Host] = new { auth } } }));
        var (exit, _, error) = Pkg2d([.. PushTo(registry), "--authfile", authFile, .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));

        Assert.True(exit == 0, error);
        Assert.Contains("blobs 18 uploaded", error);
        Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "pusher:s3cret", $"docker://{registry.Host}/team/alpine-base:latest");
    }

    [ToolFact("docker-registry")]
    public void BearerTokenRegistryGetsTokensForTheScopesOfEachStep()
    {
        using var dir = new TempDirectory();
        using var tokens = new PushTokenServer(dir.Path, "pusher", "t0ken");
        using var registry = new PushRegistry(tokens.RegistryAuth);
        var authFile = dir.Combine("auth.json");
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("pusher:t0ken"));
        File.WriteAllText(authFile, JsonSerializer.Serialize(new { auths = new Dictionary<string, object> { [registry.Host] = new { auth } } }));

        var (exit, _, error) = Pkg2d([.. PushTo(registry), .. Mirror(dir), "base=alpine-base", "musl"],
            new Dictionary<string, string>(NoAuthFiles(dir)) { ["REGISTRY_AUTH_FILE"] = authFile });

        Assert.True(exit == 0, error);
        Assert.Contains("1 mounted", error);
        var granted = tokens.GrantedScopes.Select(s => string.Join(' ', s.Order(StringComparer.Ordinal))).ToHashSet();
        Assert.Contains("repository:team/base:pull,push", granted);
        Assert.Contains("repository:team/base:pull repository:team/musl:pull,push", granted); // the mount reads the other repository
        // One token per set of scopes, not one per request.
        Assert.Equal(granted.Count, tokens.GrantedScopes.Count);

        var refused = Pkg2d([.. PushTo(registry), .. Mirror(dir), "alpine-base"], NoAuthFiles(dir));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"pkg2d: error: push {registry.Host}/team/alpine-base: checking blob sha256:", refused.Errors);
        Assert.Contains($"getting a token from {tokens.Realm}: 401", refused.Errors);
    }

    [ToolFact("docker-registry")]
    public async Task RefusedMountFallsBackToAnUploadInTheSessionTheRegistryOpened()
    {
        using var registry = new PushRegistry();
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { TlsVerify = false });
        await client.ConnectAsync();
        var blob = new MemoryBlob("application/octet-stream", "not in team/empty"u8.ToArray());

        var location = await client.MountBlobAsync("team/b", blob.Descriptor.Digest, "team/empty");
        Assert.NotNull(location);
        long sent = 0;
        await client.UploadBlobAsync("team/b", location, blob, s => sent = s);

        Assert.Equal(blob.Descriptor.Size, sent);
        Assert.True(await client.BlobExistsAsync("team/b", blob.Descriptor.Digest));
        Assert.Equal(["POST 202", "PUT 201", "HEAD 200"], registry.Requests().Skip(1).Select(r => $"{r.Method} {r.Status}"));
    }

    [ToolFact("docker-registry")]
    public async Task BytesThatDoNotMatchTheDigestAreRefusedWithTheRegistrysOwnError()
    {
        using var registry = new PushRegistry();
        using var client = new RegistryClient(registry.Host, new RegistryClientOptions { TlsVerify = false });
        await client.ConnectAsync();
        var lying = new LyingBlob(new Descriptor("application/octet-stream", Digest.FromBytes("promised"u8), 8), "returned"u8.ToArray());

        var location = await client.StartUploadAsync("team/b");
        var error = await Assert.ThrowsAsync<RegistryException>(() => client.UploadBlobAsync("team/b", location, lying));

        Assert.StartsWith("400 DIGEST_INVALID: provided digest did not match uploaded content", error.Message);
    }

    /// <summary>A blob whose bytes are not the ones its descriptor names.</summary>
    private sealed class LyingBlob(Descriptor descriptor, byte[] bytes) : IBlob
    {
        public Descriptor Descriptor { get; } = descriptor;

        public Stream Open() => new MemoryStream(bytes, writable: false);
    }

    /// <summary>`pkg2d export` with the same options, as the reference the push is compared with.</summary>
    private static string Export(TempDirectory dir, string[] options, string image)
    {
        var layout = dir.Combine("layout");
        var (exit, _, error) = Pkg2d(["export", .. options, "--out", layout, image]);
        Assert.True(exit == 0, error);
        return layout;
    }

    /// <summary>The bytes of the manifest (or index) a layout's index.json names.</summary>
    private static byte[] ManifestOf(string layout, string name)
    {
        var entry = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json"))).RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => IndexJson.RefName(m) == name);
        return File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", entry.GetProperty("digest").GetString()![7..]));
    }

    private static byte[] Inspect(PushRegistry registry, string reference) => Encoding.UTF8.GetBytes(
        Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/{reference}"));

    /// <summary>Every blob file of a layout: its name and a hash of its bytes (recomputed, not trusted from the name).</summary>
    private static SortedDictionary<string, string> Blobs(string layout) => new(
        Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")).ToDictionary(f => Path.GetFileName(f),
            f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);
}
