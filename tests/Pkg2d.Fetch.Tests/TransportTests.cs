using System.Net;
using Pkg2d.Testing;

namespace Pkg2d.Fetch.Tests;

public sealed class TransportTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly LoopbackMirror _mirror;
    private readonly byte[] _content = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 7)).ToArray();

    public TransportTests()
    {
        File.WriteAllBytes(_dir.Combine("file.bin"), _content);
        _mirror = new LoopbackMirror(_dir.Path);
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Download_CopiesTheBodyAndReportsProgress()
    {
        using var transport = new RepositoryTransport();
        using var output = new MemoryStream();
        long reported = 0;

        await transport.DownloadAsync(_mirror.UrlOf("file.bin"), output, progress: n => reported += n);

        Assert.Equal(_content, output.ToArray());
        Assert.Equal(_content.Length, reported);
    }

    [Fact]
    public async Task StalledServer_TimesOut_AndTheErrorNamesTheUrl()
    {
        _mirror.Inject("file.bin", MirrorFault.Stall(1000, TimeSpan.FromSeconds(10)));
        using var transport = new RepositoryTransport(new TransportOptions { ReadTimeout = TimeSpan.FromMilliseconds(200), Retries = 0 });

        var e = await Assert.ThrowsAsync<FetchException>(() => transport.DownloadAsync(_mirror.UrlOf("file.bin"), new MemoryStream()));

        Assert.Contains(_mirror.UrlOf("file.bin"), e.Message);
        Assert.Contains("timed out", e.Message);
    }

    [Fact]
    public async Task ServerErrors_AreRetriedWithBackoff_ThenReported()
    {
        _mirror.Inject("file.bin", MirrorFault.ServerError());
        using var transport = new RepositoryTransport(new TransportOptions { Retries = 2, RetryDelay = TimeSpan.FromMilliseconds(10) });

        var e = await Assert.ThrowsAsync<FetchException>(() => transport.DownloadAsync(_mirror.UrlOf("file.bin"), new MemoryStream()));

        Assert.Equal(HttpStatusCode.InternalServerError, e.Status);
        Assert.Equal(3, _mirror.RequestsFor("file.bin"));
        Assert.Contains("3 attempts", e.Message);
    }

    [Fact]
    public async Task RetryAfterDroppedConnection_StartsTheFileOver()
    {
        _mirror.Inject("file.bin", MirrorFault.DropAfter(70_000, times: 2));
        using var transport = new RepositoryTransport(new TransportOptions { RetryDelay = TimeSpan.FromMilliseconds(10) });
        using var output = new MemoryStream();

        await transport.DownloadAsync(_mirror.UrlOf("file.bin"), output);

        Assert.Equal(_content, output.ToArray());
        Assert.Equal(3, _mirror.RequestsFor("file.bin"));
    }

    [Fact]
    public async Task NotFound_IsNotRetried()
    {
        using var transport = new RepositoryTransport(new TransportOptions { RetryDelay = TimeSpan.FromMilliseconds(10) });

        var e = await Assert.ThrowsAsync<FetchException>(() => transport.DownloadAsync(_mirror.UrlOf("missing.apk"), new MemoryStream()));

        Assert.True(e.IsNotFound);
        Assert.Equal(_mirror.UrlOf("missing.apk"), e.Location);
        Assert.Equal(1, _mirror.RequestsFor("missing.apk"));
    }

    [Fact]
    public async Task Mirrors_AreTriedInOrder_AndAllFailuresAreNamed()
    {
        using var transport = new RepositoryTransport(new TransportOptions { Retries = 0 });
        var missing = _dir.Combine("nowhere", "file.bin");

        var used = await transport.DownloadAsync([missing, _mirror.UrlOf("file.bin")], new MemoryStream());
        Assert.Equal(_mirror.UrlOf("file.bin"), used);

        var e = await Assert.ThrowsAsync<FetchException>(() => transport.DownloadAsync([missing, _mirror.UrlOf("gone")], new MemoryStream()));
        Assert.True(e.IsNotFound);
        Assert.Contains(missing, e.Message);
        Assert.Contains(_mirror.UrlOf("gone"), e.Message);
    }

    [Fact]
    public async Task MoreBytesThanExpected_IsRefused()
    {
        using var transport = new RepositoryTransport();

        await Assert.ThrowsAsync<OversizeException>(() => transport.DownloadAsync(_mirror.UrlOf("file.bin"), new MemoryStream(), maxBytes: 1000));
        await Assert.ThrowsAsync<OversizeException>(() => transport.DownloadAsync(_dir.Combine("file.bin"), new MemoryStream(), maxBytes: 1000));
    }
}
