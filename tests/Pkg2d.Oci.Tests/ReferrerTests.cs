using System.Text;
using System.Text.Json;

namespace Pkg2d.Oci.Tests;

/// <summary>Artifacts that refer to an image (OCI 1.1 `subject`): their manifest, and how a layout lists and serves them.</summary>
public class ReferrerTests
{
    private static (OciImage Image, OciReferrer Sbom) Referred()
    {
        var image = TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer());
        var sbom = new OciReferrer(MediaTypes.SpdxJson, image.Descriptor, [new MemoryBlob(MediaTypes.SpdxJson, Encoding.UTF8.GetBytes("{\"spdxVersion\":\"SPDX-2.3\"}"))],
            new Dictionary<string, string> { ["org.opencontainers.image.created"] = "2024-01-02T03:04:05Z" });
        return (image.WithReferrers([sbom]), sbom);
    }

    [Fact]
    public void An_artifact_manifest_has_the_empty_config_its_blob_as_layer_and_the_image_as_subject_and_parses_back()
    {
        var (image, sbom) = Referred();
        var json = JsonDocument.Parse(sbom.ManifestBlob.Bytes).RootElement;
        Assert.Equal(["schemaVersion", "mediaType", "artifactType", "config", "layers", "subject", "annotations"], json.EnumerateObject().Select(p => p.Name));
        Assert.Equal("application/vnd.oci.empty.v1+json", json.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", json.GetProperty("config").GetProperty("digest").GetString());
        // The subject is the manifest as a registry resolves it, without the layout's platform.
        Assert.Equal(["mediaType", "digest", "size"], json.GetProperty("subject").EnumerateObject().Select(p => p.Name));
        var parsed = Manifest.Parse(sbom.ManifestBlob.Bytes);
        Assert.Equal(MediaTypes.SpdxJson, parsed.ArtifactType);
        Assert.Equal(image.Descriptor.Digest, parsed.Subject!.Digest);
        Assert.Equal(sbom.ManifestBlob.Bytes.ToArray(), parsed.ToJson());
        // The image's own bytes do not change.
        Assert.Equal(TestImages.Image(Platform.FromAlpineArch("x86_64"), TestImages.BaseLayer()).Descriptor, image.Descriptor);
        var other = TestImages.Image(Platform.FromAlpineArch("aarch64"), TestImages.BaseLayer());
        Assert.Throws<ArgumentException>(() => other.WithReferrers([sbom]));
    }

    [Fact]
    public async Task A_layout_lists_the_artifact_after_the_images_serves_its_blobs_and_finds_it_by_subject()
    {
        var (image, sbom) = Referred();
        var layout = new Layout(new LayoutEntry("img", image));
        Assert.Equal([image.Descriptor.Digest, sbom.Descriptor.Digest], layout.Index.Manifests.Select(m => m.Digest));
        var listed = layout.Index.Manifests[1];
        Assert.Equal(MediaTypes.SpdxJson, listed.ArtifactType);
        Assert.Equal("img", listed.Annotations![Layout.DescribesAnnotation]);
        Assert.False(listed.Annotations.ContainsKey(AnnotationKeys.RefName));
        Assert.Same(sbom, Assert.Single(layout.ReferrersOf(image.Descriptor.Digest)));
        Assert.Empty(layout.ReferrersOf(sbom.Descriptor.Digest));
        foreach (var blob in sbom.Blobs)
            Assert.True(layout.TryGetBlob(blob.Descriptor.Digest, out _));

        var unlisted = new Layout([new LayoutEntry("latest", image)], [], listReferrers: false);
        Assert.Single(unlisted.Index.Manifests);
        Assert.True(unlisted.TryGetBlob(sbom.Descriptor.Digest, out _));

        using var temp = new TempDir();
        await OciLayoutWriter.WriteAsync(layout, temp.Path("layout"));
        var report = await LayoutVerifier.VerifyAsync(temp.Path("layout"));
        Assert.Empty(report.Problems);
        Assert.Equal(["img"], report.RefNames);
        File.Delete(Path.Combine(temp.Path("layout"), Layout.BlobPath(sbom.Contents[0].Descriptor.Digest)));
        Assert.Contains((await LayoutVerifier.VerifyAsync(temp.Path("layout"))).Problems, p => p.Contains(sbom.Contents[0].Descriptor.Digest.ToString()));
    }
}
