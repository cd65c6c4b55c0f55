using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pkg2d.Oci.Tests;

public class WriterTests
{
    [Fact]
    public async Task Layout_folder_passes_the_verifier_and_a_check_by_hand()
    {
        using var temp = new TempDir();
        var layout = TestImages.TwoImages();
        await OciLayoutWriter.WriteAsync(layout, temp.Path("layout"));

        var report = await LayoutVerifier.VerifyAsync(temp.Path("layout"));
        Assert.Empty(report.Problems);
        Assert.Equal(["one", "two"], report.RefNames);
        Assert.Equal(7, report.BlobsChecked);
        CheckByHand(temp.Path("layout"), expectedImages: 2);
        Assert.Equal(["layout"], Directory.GetFileSystemEntries(temp.Directory).Select(Path.GetFileName));
    }

    /// <summary>Recomputes every digest, size and diff_id with nothing but the BCL and the image-spec.</summary>
    private static void CheckByHand(string dir, int expectedImages)
    {
        Assert.Equal("""{"imageLayoutVersion":"1.0.0"}""", File.ReadAllText(Path.Combine(dir, "oci-layout")));
        var blobs = Path.Combine(dir, "blobs", "sha256");
        foreach (var file in Directory.GetFiles(blobs))
            Assert.Equal(Path.GetFileName(file), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));

        JsonElement Blob(JsonElement descriptor)
        {
            var path = Path.Combine(blobs, descriptor.GetProperty("digest").GetString()!["sha256:".Length..]);
            Assert.Equal(descriptor.GetProperty("size").GetInt64(), new FileInfo(path).Length);
            return JsonDocument.Parse(File.ReadAllBytes(path)).RootElement;
        }

        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "index.json")));
        var images = 0;
        foreach (var entry in index.RootElement.GetProperty("manifests").EnumerateArray())
        {
            var manifest = Blob(entry);
            var config = Blob(manifest.GetProperty("config"));
            var diffIds = config.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()).ToArray();
            var layers = manifest.GetProperty("layers").EnumerateArray().ToArray();
            Assert.Equal(diffIds.Length, layers.Length);
            for (var i = 0; i < layers.Length; i++)
            {
                var path = Path.Combine(blobs, layers[i].GetProperty("digest").GetString()!["sha256:".Length..]);
                Assert.Equal(layers[i].GetProperty("size").GetInt64(), new FileInfo(path).Length);
                using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
                Assert.Equal(diffIds[i], "sha256:" + Convert.ToHexStringLower(SHA256.HashData(gzip)));
            }
            images++;
        }
        Assert.Equal(expectedImages, images);
    }

    [Fact]
    public async Task Two_writes_of_equal_models_give_identical_bytes()
    {
        using var temp = new TempDir();
        foreach (var run in new[] { "a", "b" })
        {
            var layout = TestImages.TwoImages();
            var one = (OciImage)layout.Entries[0].Artifact;
            await OciLayoutWriter.WriteAsync(layout, temp.Path(run, "layout"));
            await OciArchiveWriter.WriteAsync(layout, temp.Path(run, "oci.tar"));
            await DockerArchiveWriter.WriteAsync("one", one, temp.Path(run, "docker.tar"));
        }
        var files = Directory.GetFiles(temp.Path("a"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp.Path("a"), f)).Order().ToArray();
        Assert.Equal(11, files.Length); // 7 blobs, oci-layout, index.json, two archives
        Assert.Equal(files, Directory.GetFiles(temp.Path("b"), "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp.Path("b"), f)).Order());
        foreach (var file in files)
            Assert.Equal(File.ReadAllBytes(temp.Path("a", file)), File.ReadAllBytes(temp.Path("b", file)));
    }

    [Fact]
    public async Task Oci_archive_holds_the_layout_entries_sorted_with_fixed_headers()
    {
        using var temp = new TempDir();
        var layout = TestImages.TwoImages();
        await OciArchiveWriter.WriteAsync(layout, temp.Path("oci.tar"));

        var names = new List<string>();
        await using (var file = File.OpenRead(temp.Path("oci.tar")))
        using (var reader = new TarReader(file))
        {
            while (reader.GetNextEntry() is { } entry)
            {
                names.Add(entry.Name);
                Assert.Equal(0, entry.Uid);
                Assert.Equal(0, entry.Gid);
                Assert.Equal(DateTimeOffset.UnixEpoch, entry.ModificationTime);
            }
        }
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(["blobs/", "blobs/sha256/", .. layout.Blobs.Select(b => Layout.BlobPath(b.Descriptor.Digest)), "index.json", "oci-layout"], names);

        Directory.CreateDirectory(temp.Path("x"));
        await TarFile.ExtractToDirectoryAsync(temp.Path("oci.tar"), temp.Path("x"), overwriteFiles: false);
        Assert.Empty((await LayoutVerifier.VerifyAsync(temp.Path("x"))).Problems);
        Assert.Equal(layout.IndexJson.ToArray(), File.ReadAllBytes(temp.Path("x", "index.json")));
    }

    [Fact]
    public async Task Docker_archive_has_manifest_json_config_and_layers()
    {
        using var temp = new TempDir();
        var layout = TestImages.TwoImages();
        var one = (OciImage)layout.Entries[0].Artifact;
        var two = (OciImage)layout.Entries[1].Artifact;
        await DockerArchiveWriter.WriteAsync([KeyValuePair.Create("two", two), KeyValuePair.Create("one:1.0", one), KeyValuePair.Create("one", one)], temp.Path("d.tar"));
        Directory.CreateDirectory(temp.Path("x"));
        await TarFile.ExtractToDirectoryAsync(temp.Path("d.tar"), temp.Path("x"), overwriteFiles: false);

        using var manifest = JsonDocument.Parse(File.ReadAllBytes(temp.Path("x", "manifest.json")));
        var entries = manifest.RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, entries.Length);
        Assert.Equal(["one:1.0", "one:latest"], entries[0].GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["two:latest"], entries[1].GetProperty("RepoTags").EnumerateArray().Select(t => t.GetString()));
        foreach (var (entry, image) in new[] { (entries[0], one), (entries[1], two) })
        {
            var config = File.ReadAllBytes(temp.Path("x", entry.GetProperty("Config").GetString()!));
            Assert.Equal(image.ConfigBlob.Bytes.ToArray(), config);
            var layers = entry.GetProperty("Layers").EnumerateArray().Select(l => temp.Path("x", l.GetString()!)).ToArray();
            Assert.Equal(image.Layers.Select(l => l.Descriptor.Digest.Hex), layers.Select(l => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(l)))));
        }
        // The shared base layer is stored once: 2 configs + 3 layers.
        Assert.Equal(5, Directory.GetFiles(temp.Path("x", "blobs", "sha256")).Length);
    }

    [Fact]
    public async Task Docker_archive_of_a_layout_picks_the_requested_platform_of_an_index()
    {
        using var temp = new TempDir();
        var amd64 = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer());
        var arm64 = TestImages.Image(Platform.FromAlpineArch("aarch64"), TestImages.BaseLayer());
        var layout = new Layout(new LayoutEntry("multi", new OciImageIndex([amd64, arm64])));
        await Assert.ThrowsAsync<ArgumentException>(() => DockerArchiveWriter.WriteAsync(layout, null, temp.Path("d.tar")));
        await DockerArchiveWriter.WriteAsync(layout, arm64.Platform, temp.Path("d.tar"));

        Directory.CreateDirectory(temp.Path("x"));
        await TarFile.ExtractToDirectoryAsync(temp.Path("d.tar"), temp.Path("x"), overwriteFiles: false);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(temp.Path("x", "manifest.json")));
        var entry = Assert.Single(manifest.RootElement.EnumerateArray());
        Assert.Equal(Layout.BlobPath(arm64.ConfigBlob.Descriptor.Digest), entry.GetProperty("Config").GetString());
        Assert.Equal("multi:latest", entry.GetProperty("RepoTags")[0].GetString());
    }

    public enum Corruption { FlippedByte, Longer, Shorter }

    /// <summary>A layer whose descriptor is that of real bytes but whose stream yields different ones.</summary>
    private static Layer Corrupt(Corruption corruption)
    {
        var good = TestImages.TarGz(("etc/motd", "welcome\n"));
        var real = Layer.FromBytes(good);
        var bad = corruption switch
        {
            Corruption.FlippedByte => good.Select((b, i) => i == good.Length / 2 ? (byte)~b : b).ToArray(),
            Corruption.Longer => [.. good, 0],
            _ => good[..^1],
        };
        return new Layer(real.Descriptor, real.DiffId, () => new MemoryStream(bad));
    }

    [Theory]
    [InlineData(Corruption.FlippedByte)]
    [InlineData(Corruption.Longer)]
    [InlineData(Corruption.Shorter)]
    public async Task A_layer_not_matching_its_digest_aborts_every_writer_and_leaves_nothing(Corruption corruption)
    {
        using var temp = new TempDir();
        var layer = Corrupt(corruption);
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer(), layer);
        var layout = new Layout(new LayoutEntry("bad", image));

        var errors = new[]
        {
            await Assert.ThrowsAsync<BlobVerificationException>(() => OciLayoutWriter.WriteAsync(layout, temp.Path("out", "layout"))),
            await Assert.ThrowsAsync<BlobVerificationException>(() => OciArchiveWriter.WriteAsync(layout, temp.Path("out", "oci.tar"))),
            await Assert.ThrowsAsync<BlobVerificationException>(() => DockerArchiveWriter.WriteAsync("bad", image, temp.Path("out", "docker.tar"))),
        };
        foreach (var error in errors)
        {
            Assert.Equal(layer.Descriptor, error.Blob);
            Assert.Contains(layer.Descriptor.Digest.ToString(), error.Message);
        }
        Assert.Empty(Directory.GetFileSystemEntries(temp.Path("out")));
    }

    [Fact]
    public async Task An_existing_layout_folder_is_refused_and_left_alone()
    {
        using var temp = new TempDir();
        Directory.CreateDirectory(temp.Path("layout"));
        File.WriteAllText(temp.Path("layout", "mine"), "keep");
        var error = await Assert.ThrowsAsync<IOException>(() => OciLayoutWriter.WriteAsync(TestImages.TwoImages(), temp.Path("layout")));
        Assert.Contains(temp.Path("layout"), error.Message);
        Assert.Equal("keep", File.ReadAllText(temp.Path("layout", "mine")));
        Assert.Single(Directory.GetFileSystemEntries(temp.Directory));
    }

    [Fact]
    public async Task An_existing_archive_file_is_replaced_whole()
    {
        using var temp = new TempDir();
        File.WriteAllText(temp.Path("oci.tar"), "old");
        var layout = TestImages.TwoImages();
        await OciArchiveWriter.WriteAsync(layout, temp.Path("oci.tar"));
        var expected = new MemoryStream();
        await OciArchiveWriter.WriteToAsync(layout, expected);
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(temp.Path("oci.tar")));
        Assert.Single(Directory.GetFileSystemEntries(temp.Directory));
    }
}
