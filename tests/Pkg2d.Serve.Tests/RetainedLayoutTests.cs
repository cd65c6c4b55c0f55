using System.Net;
using System.Text.Json;
using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>A provider whose root and worlds are set by the test, as a refreshing provider moves them on.</summary>
internal sealed class RetainingProvider(Layout root) : ILayoutProvider
{
    public Layout Root { get; set; } = root;

    public Dictionary<string, Layout> Worlds { get; } = new(StringComparer.Ordinal);

    /// <summary>The worlds asked for, in order.</summary>
    public List<string> Asked { get; } = [];

    public ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken)
    {
        lock (Asked)
            Asked.Add(world);
        return ValueTask.FromResult(Worlds.GetValueOrDefault(world));
    }
}

/// <summary>
/// Images that a refresh replaced, retained for a while: the registry and the mount serve them by digest, but no
/// tag and no index.json names them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RetainedLayoutTests
{
    private static string Manifests(string name, string reference) => $"/v2/{name}/manifests/{reference}";

    private static string Blobs(string name, Digest digest) => $"/v2/{name}/blobs/{digest}";

    /// <summary>What "base" became after a refresh: the shared layer and c instead of the shared layer and a.</summary>
    private static OciImage RefreshedBase(TestImages images) => TestImages.Image(images.Shared, images.C);

    [Fact]
    public async Task ARetainedManifestIsServedByDigestWhileLatestIsTheCurrentOne()
    {
        OciImage? current = null;
        await using var registry = await RegistryHost.StartAsync(images =>
        {
            current = RefreshedBase(images);
            return new RetainingProvider(new Layout(
                [new LayoutEntry("base", current), new LayoutEntry("tool", images.Tool)],
                [new LayoutEntry("base", images.Base)]));
        });
        var retained = registry.Images.Base;
        Assert.NotEqual(retained.Descriptor.Digest, current!.Descriptor.Digest);

        using (var latest = await registry.Client.GetAsync(Manifests("base", "latest")))
        {
            Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
            RegistryAssert.Content(latest, current.ManifestBlob.Descriptor, MediaTypes.OciManifest);
            Assert.Equal(current.ManifestBlob.Bytes.ToArray(), await latest.Content.ReadAsByteArrayAsync());
        }
        using (var old = await registry.Client.GetAsync(Manifests("base", retained.Descriptor.Digest.ToString())))
        {
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
            RegistryAssert.Content(old, retained.ManifestBlob.Descriptor, MediaTypes.OciManifest);
            Assert.Equal(retained.ManifestBlob.Bytes.ToArray(), await old.Content.ReadAsByteArrayAsync());
        }
        using (var head = await registry.SendAsync(HttpMethod.Head, Manifests("base", retained.Descriptor.Digest.ToString())))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(retained.ManifestBlob.Bytes.Length, head.Content.Headers.ContentLength);
        }
        // The current manifest is also served by its digest.
        using (var byDigest = await registry.Client.GetAsync(Manifests("base", current.Descriptor.Digest.ToString())))
            Assert.Equal(current.ManifestBlob.Bytes.ToArray(), await byDigest.Content.ReadAsByteArrayAsync());

        // What the retained manifest references can be pulled: its config and the layer only it has.
        using (var config = await registry.Client.GetAsync(Blobs("base", retained.ConfigBlob.Descriptor.Digest)))
        {
            Assert.Equal(HttpStatusCode.OK, config.StatusCode);
            Assert.Equal(retained.ConfigBlob.Bytes.ToArray(), await config.Content.ReadAsByteArrayAsync());
        }
        using (var layer = await registry.Client.GetAsync(Blobs("base", registry.Images.A.Descriptor.Digest)))
        {
            Assert.Equal(HttpStatusCode.OK, layer.StatusCode);
            Assert.Equal(registry.Images.A.Bytes, await layer.Content.ReadAsByteArrayAsync());
        }

        // Only latest is a tag.
        using var tags = await registry.Client.GetAsync("/v2/base/tags/list");
        Assert.Equal(["latest"], JsonDocument.Parse(await tags.Content.ReadAsStringAsync()).RootElement.GetProperty("tags")
            .EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task AForgottenImageIsPulledByDigestWithoutResolvingAnythingAndHasNoTag()
    {
        RetainingProvider? provider = null;
        await using var registry = await RegistryHost.StartAsync(images => provider = new RetainingProvider(new Layout(
            [new LayoutEntry("tool", images.Tool)], [new LayoutEntry("gone", images.Base), new LayoutEntry("gcc,make", images.World)])));
        var gone = registry.Images.Base;

        using (var manifest = await registry.Client.GetAsync(Manifests("gone", gone.Descriptor.Digest.ToString())))
        {
            Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
            Assert.Equal(gone.ManifestBlob.Bytes.ToArray(), await manifest.Content.ReadAsByteArrayAsync());
        }
        using (var layer = await registry.Client.GetAsync(Blobs("gone", registry.Images.A.Descriptor.Digest)))
            Assert.Equal(registry.Images.A.Bytes, await layer.Content.ReadAsByteArrayAsync());
        // A forgotten on-demand world, by its path.
        using (var world = await registry.Client.GetAsync(Manifests("gcc/make", registry.Images.World.Descriptor.Digest.ToString())))
            Assert.Equal(HttpStatusCode.OK, world.StatusCode);
        Assert.Empty(provider!.Asked);

        // Its tag is gone: that is a lookup of the name as a world, which no longer resolves here.
        using (var latest = await registry.Client.GetAsync(Manifests("gone", "latest")))
            Assert.Equal(HttpStatusCode.NotFound, latest.StatusCode);
        // A digest it never had is looked up as usual.
        using (var other = await registry.Client.GetAsync(Manifests("gone", registry.Images.Tool.Descriptor.Digest.ToString())))
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(["gone", "gone"], provider.Asked);
    }

    [Fact]
    public async Task ARetainedImageOfAnotherNameIsNotServedUnderThisName()
    {
        OciImage? oldTool = null;
        await using var registry = await RegistryHost.StartAsync(images =>
        {
            oldTool = TestImages.Image(images.Shared, images.C);
            return new RetainingProvider(new Layout(
                [new LayoutEntry("base", images.Base), new LayoutEntry("tool", images.Tool)],
                [new LayoutEntry("tool", oldTool)]));
        });
        var digest = oldTool!.Descriptor.Digest.ToString();

        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", digest)), 404, "MANIFEST_UNKNOWN");
        using (var head = await registry.SendAsync(HttpMethod.Head, Manifests("base", digest)))
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Blobs("base", registry.Images.C.Descriptor.Digest)), 404, "BLOB_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Blobs("base", oldTool.ConfigBlob.Descriptor.Digest)), 404, "BLOB_UNKNOWN");

        // Under its own name it is served.
        using var own = await registry.Client.GetAsync(Manifests("tool", digest));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(oldTool.ManifestBlob.Bytes.ToArray(), await own.Content.ReadAsByteArrayAsync());
        using var latest = await registry.Client.GetAsync(Manifests("tool", "latest"));
        Assert.Equal(registry.Images.Tool.ManifestBlob.Bytes.ToArray(), await latest.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, registry.Images.C.Opens);
    }

    [Fact]
    public async Task AnOnDemandWorldServesWhatItRetainsByDigest()
    {
        OciImage? oldWorld = null;
        await using var registry = await RegistryHost.StartAsync(images =>
        {
            oldWorld = TestImages.Image(images.Shared, images.A);
            var provider = new RetainingProvider(images.RootLayout());
            provider.Worlds["gcc,make"] = new Layout([new LayoutEntry("latest", images.World)], [new LayoutEntry("latest", oldWorld)]);
            provider.Worlds[TestProvider.WorldName] = images.WorldLayout();
            return provider;
        });
        var digest = oldWorld!.Descriptor.Digest.ToString();

        using (var latest = await registry.Client.GetAsync(Manifests("gcc/make", "latest")))
            RegistryAssert.Content(latest, registry.Images.World.ManifestBlob.Descriptor, MediaTypes.OciManifest);
        using (var old = await registry.Client.GetAsync(Manifests("gcc/make", digest)))
        {
            Assert.Equal(HttpStatusCode.OK, old.StatusCode);
            RegistryAssert.Content(old, oldWorld.ManifestBlob.Descriptor, MediaTypes.OciManifest);
            Assert.Equal(oldWorld.ManifestBlob.Bytes.ToArray(), await old.Content.ReadAsByteArrayAsync());
        }
        using (var layer = await registry.Client.GetAsync(Blobs("gcc/make", registry.Images.A.Descriptor.Digest)))
            Assert.Equal(registry.Images.A.Bytes, await layer.Content.ReadAsByteArrayAsync());

        // Another world retains nothing of it.
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests(TestProvider.WorldName, digest)), 404, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task AManifestIsServedAgainOnceTheRootRetainsIt()
    {
        RetainingProvider? provider = null;
        await using var registry = await RegistryHost.StartAsync(images => provider = new RetainingProvider(images.RootLayout()));
        var images = registry.Images;
        var old = images.Base;
        var refreshed = RefreshedBase(images);

        // Replaced without retention: the old digest is gone.
        provider!.Root = new Layout(new LayoutEntry("base", refreshed), new LayoutEntry("tool", images.Tool));
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", old.Descriptor.Digest.ToString())), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Blobs("base", images.A.Descriptor.Digest)), 404, "BLOB_UNKNOWN");

        // Replaced with retention: both digests are served, latest is the new one.
        provider.Root = new Layout([new LayoutEntry("base", refreshed), new LayoutEntry("tool", images.Tool)], [new LayoutEntry("base", old)]);
        using (var retained = await registry.Client.GetAsync(Manifests("base", old.Descriptor.Digest.ToString())))
            Assert.Equal(old.ManifestBlob.Bytes.ToArray(), await retained.Content.ReadAsByteArrayAsync());
        using (var latest = await registry.Client.GetAsync(Manifests("base", "latest")))
            RegistryAssert.Content(latest, refreshed.ManifestBlob.Descriptor, MediaTypes.OciManifest);
    }

    [FuseFact]
    public async Task TheMountServesRetainedBlobsByDigestButIndexJsonDoesNotListThem()
    {
        await using var served = await Served.StartAsync();
        var images = served.Images;
        var old = images.Base;
        var refreshed = RefreshedBase(images);
        served.Provider.Root = new Layout(
            [new LayoutEntry("base", refreshed), new LayoutEntry("tool", images.Tool)],
            [new LayoutEntry("base", old)]);
        var root = served.Provider.Root;

        var index = await File.ReadAllBytesAsync(served.Path("index.json"));
        Assert.Equal(root.IndexJson.ToArray(), index);
        Assert.Equal(new Layout(new LayoutEntry("base", refreshed), new LayoutEntry("tool", images.Tool)).IndexJson.ToArray(), index);
        var listed = ImageIndex.Parse(index).Manifests.Select(m => m.Digest).ToArray();
        Assert.Equal([refreshed.Descriptor.Digest, images.Tool.Descriptor.Digest], listed);

        // The retained manifest, its config and the layer only it has are there, byte for byte.
        Assert.Equal(old.ManifestBlob.Bytes.ToArray(), await File.ReadAllBytesAsync(served.BlobPath(old.ManifestBlob.Descriptor.Digest)));
        Assert.Equal(old.ConfigBlob.Bytes.ToArray(), await File.ReadAllBytesAsync(served.BlobPath(old.ConfigBlob.Descriptor.Digest)));
        Assert.Equal(images.A.Descriptor.Size, new FileInfo(served.BlobPath(images.A.Descriptor.Digest)).Length);
        Assert.Equal(images.A.Bytes, await File.ReadAllBytesAsync(served.BlobPath(images.A.Descriptor.Digest)));
        Assert.Equal(root.Blobs.Select(b => b.Descriptor.Digest.Hex),
            Directory.GetFiles(served.Path("blobs/sha256")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Contains(old.ManifestBlob.Descriptor.Digest.Hex, Directory.GetFiles(served.Path("blobs/sha256")).Select(Path.GetFileName));

        // A layout with retained blobs is still a valid layout of the images it names.
        var report = await LayoutVerifier.VerifyAsync(served.Root);
        Assert.True(report.IsValid, string.Join("; ", report.Problems));
        Assert.Equal(["base", "tool"], report.RefNames);

        Assert.Empty(served.Errors);
    }
}
