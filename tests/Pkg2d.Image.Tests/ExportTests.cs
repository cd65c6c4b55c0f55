using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using Pkg2d.Apk;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Publish;
using Pkg2d.Oci;
using Pkg2d.Resolve;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

/// <summary>`pkg2d export` end to end on real Alpine packages, checked by the strictest consumers there are.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ExportTests
{
    private static readonly string[] AlpineBaseClosure =
    [
        "alpine-base", "alpine-baselayout", "alpine-conf", "alpine-keys", "apk-tools", "busybox", "busybox-initscripts",
        "busybox-suid", "libc-utils", "libressl2.6-libcrypto", "libressl2.6-libssl", "musl", "musl-utils", "openrc",
        "scanelf", "zlib",
    ];

    private static ExportRequest AlpineBase(string repo, string cache, string output, ExportFormat format = ExportFormat.Oci) => new()
    {
        Output = output,
        Format = format,
        Images = [ImageSpec.Parse("alpine-base")],
        BaseWorld = [],
        Repositories = new RepositoryOptions { Repositories = [repo], Arch = "armhf", KeysDirs = [Fixtures.KeysDir], CacheDir = cache },
    };

    [ToolFact("umoci", "skopeo", "tar")]
    public async Task AlpineBaseFromAnHttpMirrorIsExactlyItsSixteenPackagesPlusTheTopLayer()
    {
        using var mirror = new LoopbackMirror(Fixtures.Path("mirror"));
        using var dir = new TempDirectory();
        var layout = dir.Combine("layout");

        var warnings = new List<string>();
        var summary = await Exporter.ExportAsync(AlpineBase(mirror.Url + "/v3.7/main", dir.Combine("cache"), layout), warnings.Add);

        Assert.Equal((1, 17), (summary.Images, summary.Layers));
        // Every install script of the closure is emulated, busybox 1.27's links (read from its applet table) too.
        Assert.Empty(warnings);
        foreach (var name in AlpineBaseClosure)
        {
            Assert.Equal(1, mirror.RequestsFor("v3.7/main/armhf/" + Path.GetFileName(Fixtures.MirrorPackage(name))));
        }
        (await LayoutVerifier.VerifyAsync(layout)).ThrowIfInvalid();
        var (manifest, config) = CheckLayoutByHand(layout, "alpine-base");
        Assert.Equal("arm", config.GetProperty("architecture").GetString());
        Assert.Equal("v6", config.GetProperty("variant").GetString());
        Assert.Equal(17, config.GetProperty("history").GetArrayLength());

        // Every package layer is the package's own data member, byte for byte.
        var layers = manifest.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!).ToArray();
        var datahashes = AlpineBaseClosure.Select(n => "sha256:" + Fixtures.MirrorPackageDataHash(n)).ToHashSet();
        Assert.Equal(16, layers.Count(datahashes.Contains));

        var bundle = dir.Combine("bundle");
        Tool.RunOk("umoci", "unpack", "--image", layout + ":alpine-base", bundle);
        var rootfs = Path.Combine(bundle, "rootfs");
        var expected = AlpineBaseClosure.SelectMany(PackagePaths)
            .Concat(Tool.RunOk("tar", "-tf", BlobPath(layout, layers[^1])).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => p.TrimEnd('/')))
            .Where(p => !p.StartsWith('.') || p.StartsWith(".pkg", StringComparison.Ordinal)) // apk never installs top-level dotfiles; the top layer whites them out
            .ToHashSet();
        foreach (var path in expected)
            Assert.True(Path.Exists(Path.Combine(rootfs, path)) || new FileInfo(Path.Combine(rootfs, path)).LinkTarget is not null, $"{path} is missing from the unpacked root");
        var actualFiles = Walk(rootfs).Where(p => !Directory.Exists(p) || new FileInfo(p).LinkTarget is not null)
            .Select(p => Path.GetRelativePath(rootfs, p));
        var unexpected = actualFiles.Where(p => !expected.Contains(p)).ToArray();
        Assert.True(unexpected.Length == 0, "not from any layer: " + string.Join(", ", unexpected));
        Assert.Contains("P:busybox", File.ReadAllText(Path.Combine(rootfs, "lib/apk/db/installed")));
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(rootfs, "bin/sh")).LinkTarget);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(rootfs, "bin/ls")).LinkTarget);
        Assert.Equal("/bin/busybox", new FileInfo(Path.Combine(rootfs, "usr/sbin/adduser")).LinkTarget);
        Assert.False(Directory.Exists(Path.Combine(rootfs, ".pkg")));

        Tool.RunOk("skopeo", "copy", "oci:" + layout + ":alpine-base", "dir:" + dir.Combine("copy"));
        Tool.RunOk("skopeo", "copy", "oci:" + layout + ":alpine-base", "docker-archive:" + dir.Combine("image.tar") + ":alpine-base:latest");
    }

    [FixtureFact]
    public async Task SameInputsGiveTheSameBytesWithColdWarmAndFactsOnlyCaches()
    {
        using var mirror = new LoopbackMirror(Fixtures.Path("mirror"));
        using var dir = new TempDirectory();
        var repo = mirror.Url + "/v3.7/main";
        await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache1"), dir.Combine("cold")), null);
        await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache1"), dir.Combine("warm")), null);
        Directory.Delete(dir.Combine("cache1", "packages"), recursive: true);
        var factsOnly = await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache1"), dir.Combine("facts-only")), null);
        await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache2"), dir.Combine("other-cache")), null);

        // With only the metadata cached, the packages are downloaded again while their layers are written.
        Assert.Equal((16, 0), (factsOnly.FactsFromCache, factsOnly.FactsLearned));
        Assert.Equal(3, mirror.RequestsFor("v3.7/main/armhf/" + Path.GetFileName(Fixtures.MirrorPackage("musl"))));
        var reference = Snapshot(dir.Combine("cold"));
        // oci-layout and index.json, the image's 19 blobs, and its SBOM's manifest, empty config and document.
        Assert.Equal(2 + 19 + 3, reference.Count);
        foreach (var other in new[] { "warm", "facts-only", "other-cache" })
            Assert.Equal(reference, Snapshot(dir.Combine(other)));
    }

    [FixtureFact]
    public async Task ArchivesHoldTheSameImage()
    {
        using var dir = new TempDirectory();
        var repo = Fixtures.MirrorBase;
        await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache"), dir.Combine("layout")), null);
        await Exporter.ExportAsync(AlpineBase(repo, dir.Combine("cache"), dir.Combine("image.oci.tar"), ExportFormat.OciArchive), null);

        var extracted = dir.Combine("extracted");
        Directory.CreateDirectory(extracted);
        System.Formats.Tar.TarFile.ExtractToDirectory(dir.Combine("image.oci.tar"), extracted, overwriteFiles: false);
        Assert.Equal(Snapshot(dir.Combine("layout")), Snapshot(extracted));
    }

    [ToolFact("podman")]
    public async Task DockerArchiveLoadsIntoPodman()
    {
        using var dir = new TempDirectory();
        var archive = dir.Combine("alpine-base.tar");
        await Exporter.ExportAsync(AlpineBase(Fixtures.MirrorBase, dir.Combine("cache"), archive, ExportFormat.DockerArchive), null);

        using var podman = new Podman();
        podman.RunOk("load", "-i", archive);
        Assert.Contains("alpine-base", podman.RunOk("images", "--format", "{{.Repository}}:{{.Tag}}"));
    }

    [ToolFact("umoci")]
    public async Task LayerBudgetMergesTheSmallestPackagesAndKeepsEveryFile()
    {
        using var dir = new TempDirectory();
        var full = dir.Combine("full");
        var merged = dir.Combine("merged");
        await Exporter.ExportAsync(AlpineBase(Fixtures.MirrorBase, dir.Combine("cache"), full), null);
        await Exporter.ExportAsync(AlpineBase(Fixtures.MirrorBase, dir.Combine("cache"), merged) with { Image = new ImageOptions { MaxLayers = 6 } }, null);

        (await LayoutVerifier.VerifyAsync(merged)).ThrowIfInvalid();
        var (manifest, _) = CheckLayoutByHand(merged, "alpine-base");
        var layers = manifest.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(6, layers.Length);
        Assert.Equal(MediaTypes.OciLayer, layers.Single(l => l.GetProperty("size").GetInt64() > 0
            && l.GetProperty("mediaType").GetString() == MediaTypes.OciLayer && l.GetProperty("digest").GetString() != layers[^1].GetProperty("digest").GetString())
            .GetProperty("mediaType").GetString());

        Tool.RunOk("umoci", "unpack", "--image", full + ":alpine-base", dir.Combine("full-bundle"));
        Tool.RunOk("umoci", "unpack", "--image", merged + ":alpine-base", dir.Combine("merged-bundle"));
        Assert.Equal(Tree(dir.Combine("full-bundle", "rootfs")), Tree(dir.Combine("merged-bundle", "rootfs")));
    }

    [FixtureFact]
    public async Task UnknownPackageFailsAndWritesNothing()
    {
        using var dir = new TempDirectory();
        var request = AlpineBase(Fixtures.MirrorBase, dir.Combine("cache"), dir.Combine("out")) with { Images = [ImageSpec.Parse("x=alpine-base,no-such-package")] };

        var error = await Assert.ThrowsAsync<SolverException>(() => Exporter.ExportAsync(request, null));

        Assert.Contains("no-such-package", error.Message);
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [FixtureFact]
    public async Task ArchWithoutAnIndexFailsAndWritesNothing()
    {
        using var dir = new TempDirectory();
        var request = AlpineBase(Fixtures.MirrorBase, dir.Combine("cache"), dir.Combine("out")) with { Arches = ["x86_64"] };

        var error = await Assert.ThrowsAsync<RepositoryException>(() => Exporter.ExportAsync(request, null));

        Assert.Contains("x86_64", error.Message);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public async Task PackageThatEscapesTheRootFailsAndWritesNothing()
    {
        using var repo = new SyntheticRepository().Add(
            new SyntheticPackage("good", "1.0-r0") { Files = [SyntheticFile.Text("etc/good", "ok\n")] },
            new SyntheticPackage("evil", "1.0-r0") { Depends = ["good"], Files = [SyntheticFile.Text("../../etc/passwd", "root::0:0::/:/bin/sh\n")] })
            .Write();
        using var dir = new TempDirectory();
        var request = new ExportRequest
        {
            Output = dir.Combine("out"),
            Images = [ImageSpec.Parse("evil")],
            BaseWorld = [],
            Repositories = new RepositoryOptions { Repositories = [repo.Base], Arch = "x86_64", KeysDirs = [repo.KeysDir], CacheDir = dir.Combine("cache") },
        };

        var error = await Assert.ThrowsAnyAsync<ApkFormatException>(() => Exporter.ExportAsync(request, null));

        Assert.Contains("evil-1.0-r0", error.Message);
        Assert.Equal(["cache"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [ToolFact("skopeo", "umoci")]
    public async Task SeveralArchesMakeAnImageIndexWithTheRightPlatforms()
    {
        var tool = new SyntheticPackage("tool", "2.0-r1") { Files = [SyntheticFile.Directory("usr"), SyntheticFile.Text("usr/tool", "x86_64\n")] };
        using var x86 = new SyntheticRepository("x86_64").Add(tool).Write();
        using var arm = new SyntheticRepository("aarch64").Add(new SyntheticPackage("tool", "2.0-r1") { Files = [SyntheticFile.Text("usr/tool", "aarch64\n")] }).Write();
        CopyTree(arm.ArchDir, Path.Combine(x86.Base, "aarch64"));
        using var dir = new TempDirectory();
        var layout = dir.Combine("layout");

        await Exporter.ExportAsync(new ExportRequest
        {
            Output = layout,
            Images = [ImageSpec.Parse("tool")],
            Arches = ["x86_64", "aarch64"],
            BaseWorld = [],
            Repositories = new RepositoryOptions { Repositories = [x86.Base], KeysDirs = [x86.KeysDir], CacheDir = dir.Combine("cache") },
        }, null);

        (await LayoutVerifier.VerifyAsync(layout)).ThrowIfInvalid();
        var index = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", "--raw", "oci:" + layout + ":tool")).RootElement;
        Assert.Equal(MediaTypes.OciIndex, index.GetProperty("mediaType").GetString());
        var platforms = index.GetProperty("manifests").EnumerateArray()
            .Select(m => m.GetProperty("platform")).Select(p => p.GetProperty("architecture").GetString() + (p.TryGetProperty("variant", out var v) ? "/" + v.GetString() : ""));
        Assert.Equal(["amd64", "arm64/v8"], platforms.Order());

        Tool.RunOk("skopeo", "--override-arch", "arm64", "--override-variant", "v8", "copy", "oci:" + layout + ":tool", "oci:" + dir.Combine("arm") + ":tool");
        Tool.RunOk("umoci", "unpack", "--image", dir.Combine("arm") + ":tool", dir.Combine("bundle"));
        Assert.Equal("aarch64\n", File.ReadAllText(dir.Combine("bundle", "rootfs", "usr", "tool")));
    }

    [ToolFact("podman")]
    public async Task RealAlpineImageRunsInPodmanWithAShellAndApk()
    {
        using var repo = new MinirootfsRepository();
        using var dir = new TempDirectory();
        var layout = dir.Combine("layout");
        await Exporter.ExportAsync(new ExportRequest
        {
            Output = layout,
            Images = [new ImageSpec("alpine", repo.World)],
            Repositories = new RepositoryOptions { Repositories = [repo.Base], Arch = MinirootfsRepository.Arch, KeysDirs = repo.KeysDirs, CacheDir = dir.Combine("cache") },
        }, null);

        using var podman = new Podman();
        var output = podman.RunOk("run", "--rm", "--network", "none", "oci:" + layout + ":alpine", "/bin/sh", "-c", "ls -a / && apk info && ls -l /bin/ls");

        foreach (var entry in new[] { "bin", "etc", "lib", "usr", "var" })
            Assert.Contains(entry + "\n", output);
        // Every install script of the base world is emulated: nothing is left for /.pkg/install.sh.
        Assert.DoesNotContain(".pkg\n", output);
        foreach (var name in repo.PackageNames)
            Assert.Contains(name + "\n", output);
        Assert.Contains("/bin/ls -> /bin/busybox", output);
    }

    /// <summary>Recomputes every digest, size and diff_id of one image without the project's own OCI code.</summary>
    private static (JsonElement Manifest, JsonElement Config) CheckLayoutByHand(string layout, string name)
    {
        foreach (var blob in Directory.GetFiles(Path.Combine(layout, "blobs", "sha256")))
            Assert.Equal(Path.GetFileName(blob), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(blob))));
        var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(layout, "index.json"))).RootElement;
        var entry = index.GetProperty("manifests").EnumerateArray()
            .Single(m => IndexJson.RefName(m) == name);
        var manifest = Json(layout, entry);
        var config = Json(layout, manifest.GetProperty("config"));
        var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToArray();
        var layers = manifest.GetProperty("layers").EnumerateArray().ToArray();
        Assert.Equal(layers.Length, diffIds.Length);
        for (var i = 0; i < layers.Length; i++)
        {
            var path = BlobPath(layout, layers[i].GetProperty("digest").GetString()!);
            Assert.Equal(layers[i].GetProperty("size").GetInt64(), new FileInfo(path).Length);
            using var file = File.OpenRead(path);
            using var tar = layers[i].GetProperty("mediaType").GetString() == MediaTypes.OciLayerGzip
                ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            Assert.Equal(diffIds[i], "sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar)));
        }
        return (manifest, config);
    }

    private static JsonElement Json(string layout, JsonElement descriptor)
    {
        var bytes = File.ReadAllBytes(BlobPath(layout, descriptor.GetProperty("digest").GetString()!));
        Assert.Equal(descriptor.GetProperty("size").GetInt64(), bytes.Length);
        return JsonDocument.Parse(bytes).RootElement;
    }

    private static string BlobPath(string layout, string digest) => Path.Combine(layout, "blobs", "sha256", digest["sha256:".Length..]);

    /// <summary>A package's data paths as GNU tar lists them (its control and signature entries left out).</summary>
    private static IEnumerable<string> PackagePaths(string name)
    {
        return Tool.RunOk("tar", "-tzf", Fixtures.MirrorPackage(name)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith(".SIGN.") && p != ".PKGINFO" && !Pkg2d.Apk.Format.ApkPackage.ScriptNames.Contains(p))
            .Select(p => p.TrimEnd('/'));
    }

    private static SortedDictionary<string, string> Snapshot(string root) => new(
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f), f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))),
        StringComparer.Ordinal);

    /// <summary>Every path below a root with its kind, mode, link target and content hash.</summary>
    private static SortedDictionary<string, string> Tree(string root) => new(
        Walk(root).ToDictionary(
            p => Path.GetRelativePath(root, p),
            p => new FileInfo(p) is var info && info.LinkTarget is { } target ? "-> " + target
                : Directory.Exists(p) ? $"dir {File.GetUnixFileMode(p)}"
                : $"{File.GetUnixFileMode(p)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p)))}"),
        StringComparer.Ordinal);

    /// <summary>Every path below a folder, not following symlinks (an image's absolute links point into the host).</summary>
    private static IEnumerable<string> Walk(string folder)
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(folder))
        {
            yield return path;
            if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                foreach (var below in Walk(path))
                    yield return below;
            }
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
