using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Pkg2d.Oci;

namespace Pkg2d.Serve.Tests;

/// <summary>The distribution API's endpoints and errors, over real HTTP on 127.0.0.1.</summary>
public sealed class RegistryContractTests
{
    private static string Manifests(string name, string reference) => $"/v2/{name}/manifests/{reference}";

    private static string Blobs(string name, Digest digest) => $"/v2/{name}/blobs/{digest}";

    [Fact]
    public async Task BaseEndpointAnswersAnEmptyObject()
    {
        await using var registry = await RegistryHost.StartAsync();
        using var response = await registry.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        Assert.Equal("registry/2.0", Assert.Single(response.Headers.GetValues("Docker-Distribution-API-Version")));
    }

    [Fact]
    public async Task ManifestsByTagAndDigestAreTheStoredBytesWithTheirMediaTypeAndHeadHasNoBody()
    {
        await using var registry = await RegistryHost.StartAsync();
        var manifest = registry.Images.Base.ManifestBlob;
        foreach (var reference in new[] { "latest", manifest.Descriptor.Digest.ToString() })
        {
            // Whatever Accept asks for, the stored media type is served, never a conversion.
            var request = new HttpRequestMessage(HttpMethod.Get, Manifests("base", reference));
            request.Headers.Accept.ParseAdd(MediaTypes.DockerManifest);
            using var get = await registry.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            RegistryAssert.Content(get, manifest.Descriptor, MediaTypes.OciManifest);
            Assert.Equal(manifest.Bytes.ToArray(), await get.Content.ReadAsByteArrayAsync());

            using var head = await registry.SendAsync(HttpMethod.Head, Manifests("base", reference));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            RegistryAssert.Content(head, manifest.Descriptor, MediaTypes.OciManifest);
            Assert.Equal(manifest.Bytes.Length, head.Content.Headers.ContentLength);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task AnImageIndexIsServedAsIs()
    {
        var index = new OciImageIndex([TestImages.Image(new TestImages().A), new OciImage(new ImageConfig(new Platform("linux", "arm64")), [])]);
        await using var registry = await RegistryHost.StartAsync(images => new WorldProvider(images) { Root = new Layout(new LayoutEntry("multi", index)) });
        using var response = await registry.Client.GetAsync(Manifests("multi", "latest"));
        RegistryAssert.Content(response, index.Descriptor, MediaTypes.OciIndex);
        Assert.Equal(index.IndexBlob.Bytes.ToArray(), await response.Content.ReadAsByteArrayAsync());
        // The platforms' manifests are manifests of this repository too.
        using var child = await registry.Client.GetAsync(Manifests("multi", index.Images[1].Descriptor.Digest.ToString()));
        RegistryAssert.Content(child, index.Images[1].ManifestBlob.Descriptor, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task ManifestErrors()
    {
        await using var registry = await RegistryHost.StartAsync();
        var images = registry.Images;
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", "v1")), 404, "MANIFEST_UNKNOWN");
        // Another repository's manifest, and a blob that is not a manifest, are unknown here.
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", images.Tool.ManifestBlob.Descriptor.Digest.ToString())), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", images.Shared.Descriptor.Digest.ToString())), 404, "MANIFEST_UNKNOWN");
        // A reference that is neither a tag nor a digest is a manifest the registry does not have (the conformance
        // suite's `.INVALID_MANIFEST_NAME`), for GET and HEAD alike.
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", "-bad")), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", ".INVALID_MANIFEST_NAME")), 404, "MANIFEST_UNKNOWN");
        using (var invalidHead = await registry.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Manifests("base", ".INVALID_MANIFEST_NAME"))))
            Assert.Equal(404, (int)invalidHead.StatusCode);
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", "sha256:abc")), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("base", "md5:" + new string('0', 32))), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("nothing", "latest")), 404, "NAME_UNKNOWN");
        using var head = await registry.SendAsync(HttpMethod.Head, Manifests("nothing", "latest"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task BlobsAreServedWholeOrByRangeAndHeadProducesNothing()
    {
        await using var registry = await RegistryHost.StartAsync();
        var layer = registry.Images.A;
        var size = layer.Bytes.Length;

        using (var head = await registry.SendAsync(HttpMethod.Head, Blobs("base", layer.Descriptor.Digest)))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            RegistryAssert.Content(head, layer.Descriptor, "application/octet-stream");
            Assert.Equal(size, head.Content.Headers.ContentLength);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(0, layer.Opens);

        using (var get = await registry.Client.GetAsync(Blobs("base", layer.Descriptor.Digest)))
        {
            RegistryAssert.Content(get, layer.Descriptor, "application/octet-stream");
            Assert.Equal(layer.Bytes, await get.Content.ReadAsByteArrayAsync());
        }
        Assert.True(registry.Cache.Contains(layer.Descriptor.Digest));

        foreach (var (range, start, end) in new[] { ("bytes=0-9", 0, 9), ("bytes=100-", 100, size - 1), ("bytes=-10", size - 10, size - 1),
                     ($"bytes=5-{size + 100}", 5, size - 1) })
        {
            using var part = await registry.SendAsync(HttpMethod.Get, Blobs("base", layer.Descriptor.Digest), range);
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
            Assert.Equal($"bytes {start}-{end}/{size}", part.Content.Headers.ContentRange?.ToString());
            Assert.Equal(layer.Bytes[start..(end + 1)], await part.Content.ReadAsByteArrayAsync());
        }
        using (var beyond = await registry.SendAsync(HttpMethod.Get, Blobs("base", layer.Descriptor.Digest), $"bytes={size}-"))
        {
            await RegistryAssert.ErrorAsync(beyond, 416, "UNSUPPORTED");
            Assert.Equal($"bytes */{size}", beyond.Content.Headers.ContentRange?.ToString());
        }
        // A range of an in-memory blob (the config) too.
        var config = registry.Images.Base.ConfigBlob;
        using (var configPart = await registry.SendAsync(HttpMethod.Get, Blobs("base", config.Descriptor.Digest), "bytes=1-3"))
            Assert.Equal(config.Bytes[1..4].ToArray(), await configPart.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, layer.Opens);
    }

    [Fact]
    public async Task OnlyTheRepositorysOwnBlobsAreServed()
    {
        await using var registry = await RegistryHost.StartAsync();
        var images = registry.Images;
        // A is a layer of base, not of tool; the shared layer belongs to both, the manifest is a blob of its image.
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Blobs("tool", images.A.Descriptor.Digest)), 404, "BLOB_UNKNOWN");
        Assert.Equal(HttpStatusCode.OK, (await registry.SendAsync(HttpMethod.Head, Blobs("tool", images.Shared.Descriptor.Digest))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await registry.SendAsync(HttpMethod.Head, Blobs("tool", images.Tool.ManifestBlob.Descriptor.Digest))).StatusCode);
        await RegistryAssert.ErrorAsync(await registry.SendAsync(HttpMethod.Get, Blobs("tool", Digest.FromBytes("x"u8))), 404, "BLOB_UNKNOWN");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync("/v2/tool/blobs/sha256:XYZ"), 400, "DIGEST_INVALID");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Blobs("nothing", images.A.Descriptor.Digest)), 404, "NAME_UNKNOWN");
        Assert.Equal(0, images.A.Opens);
    }

    [Fact]
    public async Task OnDemandNamesArePathSegmentsOfTheWorld()
    {
        WorldProvider? provider = null;
        await using var registry = await RegistryHost.StartAsync(images => provider = new WorldProvider(images));
        var world = registry.Images.World;
        using var response = await registry.Client.GetAsync(Manifests("gcc/make", "latest"));
        RegistryAssert.Content(response, world.ManifestBlob.Descriptor, MediaTypes.OciManifest);
        using var layer = await registry.Client.GetAsync(Blobs("gcc/make", registry.Images.C.Descriptor.Digest));
        Assert.Equal(registry.Images.C.Bytes, await layer.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await registry.Client.GetAsync(Manifests(TestProvider.WorldName, "latest"))).StatusCode);

        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("no/such/world", "latest")), 404, "NAME_UNKNOWN");
        Assert.Contains("no,such,world", provider!.Asked);
        // Invalid input never reaches the provider.
        var asked = provider.Asked.Count;
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("Gcc", "latest")), 400, "NAME_INVALID");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync(Manifests("gcc", "latest!")), 404, "MANIFEST_UNKNOWN");
        Assert.Equal(asked, provider.Asked.Count);
    }

    [Fact]
    public async Task TagsListIsPaged()
    {
        await using var registry = await RegistryHost.StartAsync();
        async Task<(string Tags, string? Link)> ListAsync(string query)
        {
            using var response = await registry.Client.GetAsync("/v2/gcc/make/tags/list" + query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("gcc/make", body.GetProperty("name").GetString());
            return (string.Join(',', body.GetProperty("tags").EnumerateArray().Select(t => t.GetString())),
                response.Headers.TryGetValues("Link", out var link) ? link.Single() : null);
        }
        Assert.Equal(("latest", null), await ListAsync(""));
        Assert.Equal(("latest", null), await ListAsync("?n=1"));
        Assert.Equal(("", null), await ListAsync("?n=0"));
        Assert.Equal(("", null), await ListAsync("?last=latest"));
        Assert.Equal(("latest", null), await ListAsync("?last=a"));
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync("/v2/base/tags/list?n=-1"), 400, "PAGINATION_NUMBER_INVALID");
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync("/v2/nothing/tags/list"), 404, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task CatalogListsTheRootImagesPagedWithALink()
    {
        await using var registry = await RegistryHost.StartAsync();
        async Task<(string Names, string? Link)> ListAsync(string path)
        {
            using var response = await registry.Client.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var names = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("repositories")
                .EnumerateArray().Select(t => t.GetString());
            return (string.Join(',', names), response.Headers.TryGetValues("Link", out var link) ? link.Single() : null);
        }
        Assert.Equal(("base,tool", null), await ListAsync("/v2/_catalog"));
        var first = await ListAsync("/v2/_catalog?n=1");
        Assert.Equal(("base", "</v2/_catalog?n=1&last=base>; rel=\"next\""), first);
        Assert.Equal(("tool", null), await ListAsync("/v2/_catalog?n=1&last=base"));
    }

    [Fact]
    public async Task ReferrersIsAnEmptyIndex()
    {
        await using var registry = await RegistryHost.StartAsync();
        using var response = await registry.Client.GetAsync($"/v2/base/referrers/{registry.Images.Base.ManifestBlob.Descriptor.Digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MediaTypes.OciIndex, response.Content.Headers.ContentType?.MediaType);
        var index = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(2, index.GetProperty("schemaVersion").GetInt32());
        Assert.Empty(index.GetProperty("manifests").EnumerateArray());
        await RegistryAssert.ErrorAsync(await registry.Client.GetAsync("/v2/base/referrers/latest"), 400, "DIGEST_INVALID");
    }

    [Theory]
    [InlineData("POST", "/v2/base/blobs/uploads/")]
    [InlineData("PUT", "/v2/base/manifests/latest")]
    [InlineData("PATCH", "/v2/base/blobs/uploads/1")]
    [InlineData("DELETE", "/v2/base/manifests/latest")]
    [InlineData("DELETE", "/v2/")]
    [InlineData("OPTIONS", "/v2/")]
    public async Task EveryWriteIsMethodNotAllowed(string method, string path)
    {
        await using var registry = await RegistryHost.StartAsync();
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new ByteArrayContent(new byte[1000]) };
        using var response = await registry.Client.SendAsync(request);
        await RegistryAssert.ErrorAsync(response, 405, "UNSUPPORTED");
        Assert.Contains("GET", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task HostileRequestsAreClientErrorsAndTheRegistryStaysUp()
    {
        await using var registry = await RegistryHost.StartAsync();
        var client = registry.Client;
        await RegistryAssert.ErrorAsync(await client.GetAsync(Manifests(new string('a', 256), "latest")), 400, "NAME_INVALID");
        await RegistryAssert.ErrorAsync(await client.GetAsync(Manifests(string.Join('/', Enumerable.Repeat("a", 300)), "latest")), 400, "NAME_INVALID");
        await RegistryAssert.ErrorAsync(await client.GetAsync(Manifests("a//b", "latest")), 400, "NAME_INVALID");
        await RegistryAssert.ErrorAsync(await client.GetAsync(Manifests("a%2F..%2Fb", "latest")), 400, "NAME_INVALID");
        await RegistryAssert.ErrorAsync(await client.GetAsync("/v2/base/manifests/latest%0A"), 404, "MANIFEST_UNKNOWN");
        await RegistryAssert.ErrorAsync(await client.GetAsync("/v2/foo"), 404, "UNSUPPORTED");
        await RegistryAssert.ErrorAsync(await client.GetAsync("/etc/passwd"), 404, "UNSUPPORTED");

        // Raw requests the HTTP client would not send: dot segments, a huge header, a huge request line, a NUL in the
        // path, a malformed header, and one after a good request on the same connection. Those Kestrel refuses itself
        // get the JSON error body too.
        Assert.StartsWith("HTTP/1.1 4", await RawAsync(registry.Address, "GET /v2/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        foreach (var (raw, status) in new[]
        {
            ($"GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: {new string('x', 64 * 1024)}\r\n\r\n", "431"),
            ($"GET /v2/{new string('a', 16 * 1024)}/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", "414"),
            ("GET /v2/%00/manifests/latest HTTP/1.1\r\nHost: x\r\n\r\n", "400"),
            ("GET /v2/ HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", "400"),
            ("GET /v2/ HTTP/1.1\r\nHost: x\r\n\r\nGET /v2/%00 HTTP/1.1\r\nHost: x\r\n\r\n", "400"),
        })
        {
            var answer = await RawAsync(registry.Address, raw);
            var last = answer[answer.LastIndexOf("HTTP/1.1 ", StringComparison.Ordinal)..];
            Assert.StartsWith($"HTTP/1.1 {status}", last);
            Assert.Contains("Content-Type: application/json\r\n", last);
            var body = last[(last.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
            Assert.Equal("UNSUPPORTED", JsonDocument.Parse(body).RootElement.GetProperty("errors")[0].GetProperty("code").GetString());
        }

        // Clients that stall halfway through their headers do not keep others out.
        var stalled = new List<TcpClient>();
        for (var i = 0; i < 20; i++)
        {
            var socket = new TcpClient();
            await socket.ConnectAsync(registry.Address.Host, registry.Address.Port);
            await socket.GetStream().WriteAsync("GET /v2/ HTTP/1.1\r\nHost: x\r\n"u8.ToArray());
            stalled.Add(socket);
        }
        using (var response = await client.GetAsync(Manifests("base", "latest")))
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        stalled.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task AFailedProductionIsAnErrorAndTheNextRequestWorks()
    {
        await using var registry = await RegistryHost.StartAsync();
        var layer = registry.Images.B;
        layer.Fault = new IOException("mirror down");
        using (var failed = await registry.Client.GetAsync(Blobs("tool", layer.Descriptor.Digest)))
            Assert.Contains("mirror down", await RegistryAssert.ErrorAsync(failed, 503, "UNAVAILABLE"));
        layer.Corrupt = true;
        layer.Fault = null;
        using (var corrupt = await registry.Client.GetAsync(Blobs("tool", layer.Descriptor.Digest)))
            await RegistryAssert.ErrorAsync(corrupt, 503, "UNAVAILABLE");
        layer.Corrupt = false;
        using var response = await registry.Client.GetAsync(Blobs("tool", layer.Descriptor.Digest));
        Assert.Equal(layer.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ConcurrentPullsOfOneLayerProduceItOnce()
    {
        await using var registry = await RegistryHost.StartAsync();
        var layer = registry.Images.Shared;
        layer.Gate = new TaskCompletionSource();
        var pulls = Enumerable.Range(0, 8).Select(i => registry.Client.GetByteArrayAsync(Blobs(i % 2 == 0 ? "base" : "tool", layer.Descriptor.Digest))).ToArray();
        await layer.Opened.Task.WaitAsync(TimeSpan.FromSeconds(10));
        layer.Gate.SetResult();
        foreach (var pull in pulls)
            Assert.Equal(layer.Bytes, await pull);
        Assert.Equal(1, layer.Opens);
    }

    /// <summary>Sends bytes as they are and returns the status line of the answer.</summary>
    private static async Task<string> RawAsync(Uri address, string request)
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(address.Host, address.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        // Everything until the registry closes the connection (the requests here end theirs).
        return await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }
}
