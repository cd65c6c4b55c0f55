using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Oci.Tests;

/// <summary>The written formats read by the real consumers: umoci (the strict check), skopeo and podman.</summary>
public class ToolTests
{
    private static async Task<(TempDir Temp, Layout Layout)> WriteLayoutAsync(Layout layout)
    {
        var temp = new TempDir();
        await OciLayoutWriter.WriteAsync(layout, temp.Path("layout"));
        return (temp, layout);
    }

    [ToolFact("umoci")]
    public async Task Umoci_unpacks_each_image_with_its_files()
    {
        var (temp, _) = await WriteLayoutAsync(TestImages.TwoImages());
        using var _ = temp;
        foreach (var name in new[] { "one", "two" })
        {
            Tool.RunOk("umoci", "unpack", "--image", $"{temp.Path("layout")}:{name}", temp.Path(name));
            Assert.Equal("NAME=test\n", File.ReadAllText(temp.Path(name, "rootfs", "etc", "os-release")));
            Assert.Equal($"this is {name}\n", File.ReadAllText(temp.Path(name, "rootfs", "opt", name, "README")));
            Assert.False(Directory.Exists(temp.Path(name, "rootfs", "opt", name == "one" ? "two" : "one")));
        }
    }

    [ToolFact("skopeo")]
    public async Task Skopeo_copies_the_layout_to_dir_and_to_docker_archive()
    {
        var (temp, layout) = await WriteLayoutAsync(TestImages.TwoImages());
        using var _ = temp;
        var one = (OciImage)layout.Entries[0].Artifact;
        Tool.RunOk("skopeo", "copy", $"oci:{temp.Path("layout")}:one", $"dir:{temp.Path("dir")}");
        // skopeo keeps the blobs as they are: the same config and layer digests.
        foreach (var blob in one.Blobs.Skip(1))
            Assert.True(File.Exists(temp.Path("dir", blob.Descriptor.Digest.Hex)), $"skopeo's dir: copy lacks {blob.Descriptor.Digest}");

        Tool.RunOk("skopeo", "copy", $"oci:{temp.Path("layout")}:two", $"docker-archive:{temp.Path("two.tar")}:name:tag");
        var inspect = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", $"docker-archive:{temp.Path("two.tar")}")).RootElement;
        Assert.Equal("amd64", inspect.GetProperty("Architecture").GetString());
    }

    [ToolFact("skopeo")]
    public async Task Skopeo_reads_the_oci_archive()
    {
        using var temp = new TempDir();
        var layout = TestImages.TwoImages();
        await OciArchiveWriter.WriteAsync(layout, temp.Path("oci.tar"));
        Tool.RunOk("skopeo", "copy", $"oci-archive:{temp.Path("oci.tar")}:two", $"dir:{temp.Path("dir")}");
        var two = (OciImage)layout.Entries[1].Artifact;
        Assert.Equal(two.Manifest.ToJson(), File.ReadAllBytes(temp.Path("dir", "manifest.json")));
    }

    [ToolFact("skopeo", "podman")]
    public async Task Podman_loads_the_docker_archive_and_lists_its_tags()
    {
        using var temp = new TempDir();
        var layout = TestImages.TwoImages();
        await DockerArchiveWriter.WriteAsync(
            [KeyValuePair.Create("one", (OciImage)layout.Entries[0].Artifact), KeyValuePair.Create("two", (OciImage)layout.Entries[1].Artifact)],
            temp.Path("docker.tar"));
        var store = Podman.Store(temp.Path("podman"));
        Tool.RunOk("podman", [.. store, "load", "-i", temp.Path("docker.tar")]);
        var images = Tool.RunOk("podman", [.. store, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
        var one = (OciImage)layout.Entries[0].Artifact;
        Assert.Contains($"localhost/one:latest {one.ConfigBlob.Descriptor.Digest.Hex[..12]}", images);
        Assert.Contains("localhost/two:latest", images);
    }

    [ToolFact("skopeo", "umoci")]
    public async Task Multi_arch_index_passes_skopeo_and_umoci_selects_by_platform()
    {
        var images = new Dictionary<string, OciImage>
        {
            ["x86_64"] = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer(), TestImages.AppLayer("amd64")),
            ["aarch64"] = TestImages.Image(Platform.FromAlpineArch("aarch64"), TestImages.BaseLayer(), TestImages.AppLayer("arm64")),
        };
        var index = new OciImageIndex(images.Values.ToArray());
        var (temp, _) = await WriteLayoutAsync(new Layout(new LayoutEntry("multi", index)));
        using var _ = temp;
        Assert.Empty((await LayoutVerifier.VerifyAsync(temp.Path("layout"))).Problems);

        var raw = Tool.RunOk("skopeo", "inspect", "--raw", $"oci:{temp.Path("layout")}:multi");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(raw))), index.Descriptor.Digest.Hex);

        // umoci 0.4.7 has no platform flag (it calls a multi-manifest ref ambiguous), so skopeo picks the platform
        // from the index's descriptors and umoci strictly unpacks what it picked.
        foreach (var (arch, image) in images)
        {
            var platform = image.Platform;
            string[] select = platform.Variant is null
                ? ["--override-arch", platform.Architecture]
                : ["--override-arch", platform.Architecture, "--override-variant", platform.Variant];
            Tool.RunOk("skopeo", [.. select, "copy", $"oci:{temp.Path("layout")}:multi", $"oci:{temp.Path("picked")}:{arch}"]);
            Tool.RunOk("umoci", "unpack", "--image", $"{temp.Path("picked")}:{arch}", temp.Path(arch));
            Assert.Equal($"this is {platform.Architecture}\n", File.ReadAllText(temp.Path(arch, "rootfs", "opt", platform.Architecture, "README")));
            var picked = Tool.RunOk("skopeo", "inspect", "--raw", $"oci:{temp.Path("picked")}:{arch}");
            Assert.Equal(Encoding.UTF8.GetString(image.Manifest.ToJson()), picked);
        }
    }
}
