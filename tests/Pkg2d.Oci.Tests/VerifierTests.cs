namespace Pkg2d.Oci.Tests;

public class VerifierTests
{
    private static async Task<(TempDir Temp, string Dir, OciImage Image)> WriteAsync(ILayer? extra = null)
    {
        var temp = new TempDir();
        ILayer[] layers = extra is null ? [TestImages.BaseLayer()] : [TestImages.BaseLayer(), extra];
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), layers);
        await OciLayoutWriter.WriteAsync(new Layout(new LayoutEntry("img", image)), temp.Path("layout"));
        return (temp, temp.Path("layout"), image);
    }

    private static string BlobFile(string dir, Digest digest) => Path.Combine(dir, Layout.BlobPath(digest));

    [Fact]
    public async Task Reports_a_layer_whose_bytes_changed()
    {
        var (temp, dir, image) = await WriteAsync();
        using var _ = temp;
        var layer = image.Layers[0].Descriptor.Digest;
        var bytes = File.ReadAllBytes(BlobFile(dir, layer));
        bytes[^5] ^= 0xff; // in the gzip trailer: still the same size
        File.WriteAllBytes(BlobFile(dir, layer), bytes);
        var report = await LayoutVerifier.VerifyAsync(dir);
        Assert.Contains(report.Problems, p => p.Contains($"blob {layer} hashes to"));
        Assert.Throws<InvalidDataException>(report.ThrowIfInvalid);
    }

    [Fact]
    public async Task Reports_a_truncated_config_and_a_missing_blob()
    {
        var (temp, dir, image) = await WriteAsync();
        using var _ = temp;
        var config = image.ConfigBlob.Descriptor.Digest;
        File.WriteAllBytes(BlobFile(dir, config), image.ConfigBlob.Bytes[..10].ToArray());
        File.Delete(BlobFile(dir, image.Layers[0].Descriptor.Digest));
        var problems = (await LayoutVerifier.VerifyAsync(dir)).Problems;
        Assert.Contains(problems, p => p.Contains($"blob {config} has 10 bytes"));
        Assert.Single(problems);

        File.WriteAllBytes(BlobFile(dir, config), image.ConfigBlob.Bytes.ToArray());
        problems = (await LayoutVerifier.VerifyAsync(dir)).Problems;
        Assert.Contains(problems, p => p.Contains($"blob {image.Layers[0].Descriptor.Digest} is missing"));
    }

    [Fact]
    public async Task Reports_a_wrong_diff_id()
    {
        var real = TestImages.AppLayer("x");
        var wrongDiffId = new Layer(real.Descriptor, Digest.FromBytes("not the tar"u8), real.Open);
        var (temp, dir, image) = await WriteAsync(wrongDiffId);
        using var _ = temp;
        var problems = (await LayoutVerifier.VerifyAsync(dir)).Problems;
        Assert.Equal(
            [$"manifest {image.Descriptor.Digest}: layer {real.Descriptor.Digest} decompresses to {real.DiffId}, but diff_id 1 is {wrongDiffId.DiffId}"],
            problems);
    }

    [Fact]
    public async Task Reports_a_missing_oci_layout_file()
    {
        var (temp, dir, _) = await WriteAsync();
        using var _ = temp;
        File.Delete(Path.Combine(dir, "oci-layout"));
        var report = await LayoutVerifier.VerifyAsync(dir);
        Assert.Contains(report.Problems, p => p.Contains("oci-layout' is missing"));
        Assert.Equal(["img"], report.RefNames);
    }
}
