using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Pkg2d.Oci.Tests;

public class ModelTests
{
    [Theory]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true)]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", false)]
    [InlineData("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", false)]
    [InlineData("sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", false)]
    public void Digest_parses_only_canonical_sha256(string text, bool valid)
    {
        Assert.Equal(valid, Digest.TryParse(text, out var digest));
        if (valid)
            Assert.Equal(text, digest.ToString());
        else
            Assert.Contains(text, Assert.Throws<FormatException>(() => Digest.Parse(text)).Message);
    }

    [Fact]
    public void Digest_from_bytes_and_from_stream_agree_with_sha256()
    {
        var data = Encoding.UTF8.GetBytes("layer bytes");
        var expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));
        Assert.Equal(expected, Digest.FromBytes(data).ToString());
        Assert.Equal(expected, Digest.FromStream(new MemoryStream(data)).ToString());
        Assert.Equal(Digest.FromBytes(data), Digest.FromHex(Digest.FromBytes(data).Hex));
    }

    [Theory]
    [InlineData("x86_64", "linux/amd64")]
    [InlineData("aarch64", "linux/arm64/v8")]
    [InlineData("armhf", "linux/arm/v6")]
    [InlineData("armv7", "linux/arm/v7")]
    [InlineData("x86", "linux/386")]
    [InlineData("ppc64le", "linux/ppc64le")]
    [InlineData("s390x", "linux/s390x")]
    [InlineData("riscv64", "linux/riscv64")]
    public void Platform_maps_alpine_arch(string alpineArch, string platform) =>
        Assert.Equal(platform, Platform.FromAlpineArch(alpineArch).ToString());

    [Fact]
    public void Platform_rejects_unknown_alpine_arch() =>
        Assert.Contains("'mips64'", Assert.Throws<ArgumentException>(() => Platform.FromAlpineArch("mips64")).Message);

    [Fact]
    public void Manifest_json_has_fixed_member_order_and_no_whitespace()
    {
        var config = new Descriptor(MediaTypes.OciConfig, Digest.FromBytes("c"u8), 1);
        var layer = new Descriptor(MediaTypes.OciLayerGzip, Digest.FromBytes("l"u8), 2);
        var manifest = new Manifest(config, [layer]) { Annotations = new Dictionary<string, string> { ["z"] = "1", ["a"] = "<2>" } };
        var json = Encoding.UTF8.GetString(manifest.ToJson());
        Assert.Equal(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
            + $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{config.Digest}\",\"size\":1}},"
            + $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"{layer.Digest}\",\"size\":2}}],"
            + "\"annotations\":{\"a\":\"<2>\",\"z\":\"1\"}}",
            json);
        var parsed = Manifest.Parse(manifest.ToJson());
        Assert.Equal(manifest.ToJson(), parsed.ToJson());
    }

    [Fact]
    public void Config_json_is_canonical_and_round_trips_to_the_same_bytes()
    {
        var image = TestImages.Image(Platform.FromAlpineArch("aarch64"), TestImages.BaseLayer());
        var json = (image.Config with { Author = "Zoë \"Ω\"" }).ToJson();
        var text = Encoding.UTF8.GetString(json);
        Assert.Contains("\"created\":\"2024-01-02T03:04:05Z\"", text);
        Assert.Contains("\"org.example.a\":\"1\",\"org.example.b\":\"x+y<z\"", text); // sorted labels, nothing escaped needlessly
        Assert.Contains("\"variant\":\"v8\"", text);
        Assert.DoesNotContain("null", text);
        Assert.Contains("\"author\":\"Zoë \\\"Ω\\\"\"", text); // non-ASCII kept, quotes escaped
        Assert.DoesNotContain("\"comment\"", text);
        Assert.DoesNotContain("\n", text);
        Assert.DoesNotContain("\": ", text);
        Assert.DoesNotContain(", ", text);
        Assert.Equal(json, ImageConfig.Parse(json).ToJson());
        Assert.Equal(image.ConfigBlob.Descriptor.Digest, Digest.FromBytes(ImageConfig.Parse(image.ConfigBlob.Bytes).ToJson()));
    }

    [Fact]
    public void Config_time_keeps_only_needed_fraction_digits()
    {
        var config = new ImageConfig(Platform.FromAlpineArch("x86")) { Created = new DateTimeOffset(2024, 5, 6, 7, 8, 9, 250, TimeSpan.FromHours(2)) };
        Assert.Contains("\"created\":\"2024-05-06T05:08:09.25Z\"", Encoding.UTF8.GetString(config.ToJson()));
    }

    [Fact]
    public void Index_parse_rejects_a_wrong_schema_version()
    {
        var error = Assert.Throws<InvalidDataException>(() => ImageIndex.Parse("""{"schemaVersion":1,"manifests":[]}"""u8.ToArray(), "index.json"));
        Assert.Contains("index.json", error.Message);
    }

    [Fact]
    public void Layer_digests_are_those_of_the_stored_and_the_decompressed_bytes()
    {
        var bytes = TestImages.TarGz(("a/b", "c"));
        var layer = Layer.FromBytes(bytes);
        using var tar = new MemoryStream();
        using (var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress))
            gzip.CopyTo(tar);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)), layer.Descriptor.Digest.ToString());
        Assert.Equal(bytes.Length, layer.Descriptor.Size);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(tar.ToArray())), layer.DiffId.ToString());
    }

    [Fact]
    public void Layer_from_file_has_the_same_digests_and_reads_the_file_lazily()
    {
        using var temp = new TempDir();
        var bytes = TestImages.TarGz(("x", "y"));
        File.WriteAllBytes(temp.Path("layer.tar.gz"), bytes);
        var layer = Layer.FromFile(temp.Path("layer.tar.gz"));
        var inMemory = Layer.FromBytes(bytes);
        Assert.Equal(inMemory.Descriptor, layer.Descriptor);
        Assert.Equal(inMemory.DiffId, layer.DiffId);

        var tar = Layer.FromFile(temp.Path("layer.tar.gz"), MediaTypes.OciLayer);
        Assert.Equal(tar.Descriptor.Digest, tar.DiffId);
        File.Delete(temp.Path("layer.tar.gz"));
        Assert.Throws<FileNotFoundException>(() => layer.Open());
    }

    [Fact]
    public void Image_takes_diff_ids_from_layers_and_rejects_a_mismatch()
    {
        var base_ = TestImages.BaseLayer();
        var app = TestImages.AppLayer("x");
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), base_, app);
        Assert.Equal([base_.DiffId, app.DiffId], image.Config.DiffIds);
        Assert.Equal(image.ConfigBlob.Descriptor, image.Manifest.Config);

        var wrong = image.Config with { DiffIds = [app.DiffId, base_.DiffId] };
        Assert.Throws<ArgumentException>(() => new OciImage(wrong, [base_, app]));
        var tooShortHistory = image.Config with { DiffIds = [], History = [new HistoryEntry { CreatedBy = "one step" }] };
        Assert.Contains("history", Assert.Throws<ArgumentException>(() => new OciImage(tooShortHistory, [base_, app])).Message);
    }

    [Fact]
    public void Index_carries_each_platform_once()
    {
        var amd64 = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer());
        var arm64 = TestImages.Image(Platform.FromAlpineArch("aarch64"), TestImages.BaseLayer());
        var index = new OciImageIndex([amd64, arm64]);
        Assert.Equal([amd64.Platform, arm64.Platform], index.Index.Manifests.Select(m => m.Platform));
        Assert.Same(arm64, index.ForPlatform(new Platform("linux", "arm64", "v8")));
        Assert.Throws<KeyNotFoundException>(() => index.ForPlatform(new Platform("linux", "s390x")));
        Assert.Throws<ArgumentException>(() => new OciImageIndex([amd64, amd64]));
    }

    [Fact]
    public void Layout_deduplicates_shared_blobs_and_finds_them_by_digest()
    {
        var layout = TestImages.TwoImages();
        // 2 manifests + 2 configs + 1 shared base layer + 2 app layers.
        Assert.Equal(7, layout.Blobs.Count);
        Assert.Equal(layout.Blobs.Select(b => b.Descriptor.Digest).Distinct().Count(), layout.Blobs.Count);
        foreach (var blob in layout.Entries.SelectMany(e => e.Artifact.Blobs))
            Assert.True(layout.TryGetBlob(blob.Descriptor.Digest, out _));
        Assert.Equal(["one", "two"], layout.Index.Manifests.Select(m => m.Annotations![AnnotationKeys.RefName]));
        var missing = Digest.FromBytes("nothing"u8);
        Assert.Contains(missing.ToString(), Assert.Throws<KeyNotFoundException>(() => layout.GetBlob(missing)).Message);

        var index = ImageIndex.Parse(layout.IndexJson);
        Assert.Equal(layout.IndexJson.ToArray(), index.ToJson());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bad Name")]
    [InlineData("trailing-")]
    [InlineData("a//b")]
    public void Layout_rejects_invalid_ref_names(string name)
    {
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer());
        Assert.Throws<ArgumentException>(() => new Layout(new LayoutEntry(name, image)));
    }

    [Fact]
    public void Layout_accepts_spec_ref_names_and_rejects_duplicates()
    {
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer());
        _ = new Layout(new LayoutEntry("alpine/base:3.20-r1@x+y--z", image));
        Assert.Throws<ArgumentException>(() => new Layout(new LayoutEntry("a", image), new LayoutEntry("a", image)));
    }

    [Theory]
    [InlineData("name", "name:latest")]
    [InlineData("name:1.2", "name:1.2")]
    [InlineData("localhost:5000/team/name", "localhost:5000/team/name:latest")]
    [InlineData("localhost:5000/name:t", "localhost:5000/name:t")]
    public void Docker_repo_tags_default_to_latest(string name, string tag) =>
        Assert.Equal(tag, DockerArchiveWriter.RepoTag(name));
}
