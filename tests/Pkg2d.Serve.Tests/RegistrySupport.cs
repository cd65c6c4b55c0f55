using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pkg2d.Oci;
using Pkg2d.Serve.Registry;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>A provider over <see cref="TestImages"/> that resolves the worlds "w1" and "gcc,make" and records what was asked.</summary>
internal sealed class WorldProvider(TestImages images) : ILayoutProvider
{
    public static readonly string[] Worlds = [TestProvider.WorldName, "gcc,make"];

    public Layout Root { get; set; } = images.RootLayout();

    public System.Collections.Concurrent.ConcurrentQueue<string> Asked { get; } = new();

    public ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken)
    {
        Asked.Enqueue(world);
        return ValueTask.FromResult(Worlds.Contains(world) ? images.WorldLayout() : null);
    }
}

/// <summary>
/// The daemon's host (<see cref="ServeHost"/>) serving the registry on an ephemeral port of 127.0.0.1 over the test
/// images, with a fresh cache; extra arguments may add a mount.
/// </summary>
internal sealed class RegistryHost : IAsyncDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-registry-");
    private readonly IHost _host;

    private RegistryHost(TestImages images, ILayoutProvider provider, string[] arguments)
    {
        Images = images;
        var config = _dir.Combine("pkg2d.json");
        File.WriteAllText(config, "{}");
        _host = ServeHost.CreateBuilder(["--listen", "127.0.0.1:0", "--cache", _dir.Combine("cache"), "--log-level", "Warning", .. arguments],
            config, _ => provider).Build();
    }

    public TestImages Images { get; }

    public BlobCache Cache => _host.Services.GetRequiredService<BlobCache>();

    public IServiceProvider Services => _host.Services;

    public Uri Address => _host.Services.GetRequiredService<RegistryService>().Addresses[0];

    public HttpClient Client { get; private set; } = null!;

    public string Combine(string name) => _dir.Combine(name);

    public static async Task<RegistryHost> StartAsync(Func<TestImages, ILayoutProvider>? provider = null, params string[] arguments)
    {
        var images = new TestImages();
        var host = new RegistryHost(images, provider?.Invoke(images) ?? new WorldProvider(images), arguments);
        await host._host.StartAsync().WaitAsync(TimeSpan.FromSeconds(15));
        host.Client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(20) };
        return host;
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? range = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (range is not null)
            request.Headers.Range = RangeHeaderValue.Parse(range);
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        await _host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
        _host.Dispose();
        _dir.Dispose();
    }
}

internal static class RegistryAssert
{
    /// <summary>Checks the header every response carries and a spec error body with the code; returns the detail.</summary>
    public static async Task<string?> ErrorAsync(HttpResponseMessage response, int status, string code)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("registry/2.0", Assert.Single(response.Headers.GetValues("Docker-Distribution-API-Version")));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        return error.GetProperty("detail").GetString();
    }

    public static void Content(HttpResponseMessage response, Descriptor descriptor, string mediaType)
    {
        Assert.Equal("registry/2.0", Assert.Single(response.Headers.GetValues("Docker-Distribution-API-Version")));
        Assert.Equal(descriptor.Digest.ToString(), Assert.Single(response.Headers.GetValues("Docker-Content-Digest")));
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.ToString());
    }
}
