using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pkg2d.Serve.Registry;

/// <summary>
/// Serves the <see cref="RegistryHandler"/> with Kestrel on every <see cref="ServeOptions.Listen"/> address, plain HTTP
/// or HTTPS with the configured PEM certificate. Start completes once every address is bound, so READY=1 means the
/// registry answers. Kestrel runs in a web application of its own inside the daemon's host, sharing its logging.
/// </summary>
internal sealed class RegistryService : IHostedService, IAsyncDisposable
{
    private readonly ServeOptions _options;
    private readonly RegistryHandler _handler;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private WebApplication? _app;

    public RegistryService(ServeOptions options, RegistryHandler handler, ILoggerFactory loggerFactory)
    {
        _options = options;
        _handler = handler;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RegistryService>();
    }

    /// <summary>The bound addresses (with the real port where 0 was asked for) while the service runs.</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var certificate = _options.TlsCertificate is { } cert
            ? X509Certificate2.CreateFromPemFile(cert, _options.TlsKey)
            : null;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = "/" });
        builder.Services.AddSingleton(_loggerFactory);
        // The daemon's host owns signals and the process lifetime; this one only follows StartAsync and StopAsync.
        builder.Services.AddSingleton<IHostLifetime, FollowingLifetime>();
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration().ConfigureKestrel(kestrel =>
        {
            SetLimits(kestrel);
            foreach (var endPoint in _options.Listen)
            {
                if (certificate is null && !IPAddress.IsLoopback(endPoint.Address))
                    _logger.LogWarning("The registry listens on {EndPoint} without TLS: anyone who can reach it reads its traffic "
                        + "(give --tls-cert and --tls-key for HTTPS)", endPoint);
                kestrel.Listen(endPoint, listen =>
                {
                    // HTTP/2 only with TLS, where ALPN chooses it; clients of plain registries speak HTTP/1.1.
                    listen.Protocols = certificate is null ? HttpProtocols.Http1 : HttpProtocols.Http1AndHttp2;
                    if (certificate is not null)
                        listen.UseHttps(certificate);
                    // After TLS, so it sees what Kestrel writes before encryption.
                    RejectionBodies.UseOn(listen);
                });
            }
        });
        var app = builder.Build();
        app.Run(_handler.HandleAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
        Addresses = app.Urls.Select(u => new Uri(u)).ToArray();
        foreach (var address in Addresses)
            _logger.LogInformation("Serving the OCI distribution API at {Address}", address);
    }

    /// <summary>
    /// Limits chosen for a registry on an untrusted network: requests are small (a path and a few headers, never a
    /// body), so anything larger or slower is refused early, and stalled clients cannot pile up connections.
    /// </summary>
    private static void SetLimits(KestrelServerOptions kestrel)
    {
        kestrel.AddServerHeader = false;
        var limits = kestrel.Limits;
        limits.MaxRequestLineSize = 8 * 1024; // a 255-character name and a digest fit many times over
        limits.MaxRequestHeadersTotalSize = 32 * 1024;
        limits.MaxRequestHeaderCount = 64;
        limits.MaxRequestBodySize = 64 * 1024; // writes are refused without reading their bodies
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
        limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
        limits.MaxConcurrentConnections = 1024;
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 240, gracePeriod: TimeSpan.FromSeconds(5));
        // A client that stops reading a layer is dropped, which releases its hold on the cached blob.
        limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
        limits.Http2.MaxStreamsPerConnection = 64;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
            await app.StopAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
            await app.DisposeAsync();
    }

    private sealed class FollowingLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
