namespace Pkg2d.Oci.Tests;

/// <summary>A layout that retains replaced images: their blobs are served by digest, index.json names only the current ones.</summary>
public class RetainedLayoutModelTests
{
    private static readonly Platform Amd64 = Platform.FromAlpineArch("x86_64");

    /// <summary>An artifact made of the given blobs, as another build of an image might declare them.</summary>
    private sealed class Artifact(Descriptor descriptor, params IBlob[] blobs) : IOciArtifact
    {
        public Descriptor Descriptor => descriptor;

        public IEnumerable<IBlob> Blobs => blobs;
    }

    /// <summary>A blob whose descriptor states another size than its bytes have.</summary>
    private sealed class Resized(IBlob inner, long size) : IBlob
    {
        public Descriptor Descriptor { get; } = new(inner.Descriptor.MediaType, inner.Descriptor.Digest, size);

        public Stream Open() => inner.Open();
    }

    private static (OciImage Current, OciImage Old, Layer Shared) Versions()
    {
        var shared = TestImages.BaseLayer();
        return (TestImages.Image(Amd64, shared, TestImages.AppLayer("app-2")), TestImages.Image(Amd64, shared, TestImages.AppLayer("app-1")), shared);
    }

    [Fact]
    public void Layout_holds_the_blobs_of_retained_images_and_finds_them_by_digest()
    {
        var (current, old, _) = Versions();
        var layout = new Layout([new LayoutEntry("app", current)], [new LayoutEntry("app", old)]);

        // current: manifest, config, shared layer, app-2; old adds its manifest, config and app-1.
        Assert.Equal(7, layout.Blobs.Count);
        var expected = current.Blobs.Concat(old.Blobs).Select(b => b.Descriptor.Digest.Hex).Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(expected, layout.Blobs.Select(b => b.Descriptor.Digest.Hex));
        foreach (var blob in old.Blobs)
        {
            Assert.True(layout.TryGetBlob(blob.Descriptor.Digest, out var found));
            Assert.Equal(blob.Descriptor, found.Descriptor);
        }
        Assert.Same(old.ManifestBlob, layout.GetBlob(old.ManifestBlob.Descriptor.Digest));
        Assert.Same(old.ConfigBlob, layout.GetBlob(old.ConfigBlob.Descriptor.Digest));
        Assert.Equal(old.Layers[1].Descriptor, layout.GetBlob(old.Layers[1].Descriptor.Digest).Descriptor);

        var entry = Assert.Single(layout.Retained);
        Assert.Equal("app", entry.Name);
        Assert.Same(old, entry.Artifact);
        Assert.Same(current, Assert.Single(layout.Entries).Artifact);
    }

    [Fact]
    public void Layout_index_json_is_the_same_with_or_without_retained_images()
    {
        var (current, old, _) = Versions();
        var other = TestImages.Image(Amd64, TestImages.AppLayer("other"));
        var plain = new Layout(new LayoutEntry("app", current), new LayoutEntry("other", other));
        var retaining = new Layout(
            [new LayoutEntry("other", other), new LayoutEntry("app", current)],
            [new LayoutEntry("app", old), new LayoutEntry("gone", TestImages.Image(Amd64, TestImages.AppLayer("gone")))]);

        Assert.Equal(plain.IndexJson.ToArray(), retaining.IndexJson.ToArray());
        Assert.Equal([current.Descriptor.Digest, other.Descriptor.Digest], retaining.Index.Manifests.Select(m => m.Digest));
        Assert.DoesNotContain(retaining.Index.Manifests, m => m.Digest == old.Descriptor.Digest);
        Assert.Equal(["app", "other"], retaining.Entries.Select(e => e.Name));
        Assert.True(retaining.Blobs.Count > plain.Blobs.Count);
    }

    [Fact]
    public void Layout_without_retained_images_retains_nothing()
    {
        var (current, old, _) = Versions();
        Assert.Empty(new Layout(new LayoutEntry("app", current)).Retained);
        Assert.Empty(new Layout([new LayoutEntry("app", current)], []).Retained);
        Assert.False(new Layout(new LayoutEntry("app", current)).TryGetBlob(old.ManifestBlob.Descriptor.Digest, out _));
    }

    [Fact]
    public void Layout_retained_names_need_not_be_reference_names_and_may_repeat()
    {
        var (current, old, shared) = Versions();
        var older = TestImages.Image(Amd64, shared, TestImages.AppLayer("app-0"));
        var layout = new Layout(
            [new LayoutEntry("app", current)],
            [new LayoutEntry("app", old), new LayoutEntry("app", older), new LayoutEntry("gcc,make", TestImages.Image(Amd64, TestImages.AppLayer("w")))]);

        Assert.Equal(["app", "app", "gcc,make"], layout.Retained.Select(r => r.Name));
        Assert.True(layout.TryGetBlob(old.Descriptor.Digest, out _));
        Assert.True(layout.TryGetBlob(older.Descriptor.Digest, out _));
        // A name that is no reference is still refused for a current image.
        Assert.Throws<ArgumentException>(() => new Layout([new LayoutEntry("gcc,make", current)], []));
    }

    [Fact]
    public void Layout_retaining_the_current_image_adds_no_blob()
    {
        var (current, _, _) = Versions();
        var plain = new Layout(new LayoutEntry("app", current));
        var retaining = new Layout([new LayoutEntry("app", current)], [new LayoutEntry("app", current)]);

        Assert.Equal(plain.Blobs.Select(b => b.Descriptor), retaining.Blobs.Select(b => b.Descriptor));
        Assert.Equal(plain.IndexJson.ToArray(), retaining.IndexJson.ToArray());
    }

    [Fact]
    public void Layout_rejects_a_retained_blob_declared_with_another_size_than_a_current_one()
    {
        var (current, old, shared) = Versions();
        var resized = new Resized(shared, shared.Descriptor.Size + 1);
        var liar = new Artifact(old.Descriptor, old.ManifestBlob, old.ConfigBlob, resized);

        var error = Assert.Throws<ArgumentException>(() => new Layout([new LayoutEntry("app", current)], [new LayoutEntry("app", liar)]));
        Assert.Contains(shared.Descriptor.Digest.ToString(), error.Message);
        Assert.Contains(shared.Descriptor.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
        Assert.Contains((shared.Descriptor.Size + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);

        // Two retained images that disagree are refused too.
        Assert.Throws<ArgumentException>(() => new Layout([], [new LayoutEntry("app", old), new LayoutEntry("app", liar)]));
        // The same blob with its true size is deduplicated.
        var honest = new Artifact(old.Descriptor, old.ManifestBlob, old.ConfigBlob, shared);
        Assert.Equal(6, new Layout([new LayoutEntry("app", current)], [new LayoutEntry("app", honest)]).Blobs.Count);
    }
}
