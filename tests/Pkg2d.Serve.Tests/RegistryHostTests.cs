using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.DependencyInjection;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>The registry's options and its place in the daemon's host, beside or without the mount.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RegistryHostTests
{
    [Fact]
    public void ListenAddressesAndTlsComeFromConfigurationAndTheCommandLine()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pkg2d.json");
        File.WriteAllText(file, """{ "pkg2d": { "Listen": [ "127.0.0.1:5000", "[::1]:5001", "0.0.0.0:5002" ] } }""");
        ServeOptions Options(params string[] args) => ServeHost.CreateBuilder(args, file, _ => null!).Build().Services.GetRequiredService<ServeOptions>();

        var configured = Options();
        Assert.Null(configured.MountPoint);
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:5000"), IPEndPoint.Parse("[::1]:5001"), IPEndPoint.Parse("0.0.0.0:5002")], configured.Listen);
        // Addresses on the command line replace the configured list, as images do.
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:6000")], Options("--listen", "127.0.0.1:6000").Listen);
        var tls = Options("--tls-cert", "/c.pem", "--tls-key", "/k.pem");
        Assert.Equal(("/c.pem", "/k.pem"), (tls.TlsCertificate, tls.TlsKey));

        foreach (var bad in new[] { "127.0.0.1", "localhost:5000", "::1:5000", "1.2.3.4:99999", "x" })
            Assert.Throws<FormatException>(() => Options("--listen", bad));
        File.WriteAllText(file, """{ "pkg2d": { "Listen": "nowhere" } }""");
        Assert.Contains("pkg2d:Listen", Assert.Throws<FormatException>(() => Options()).Message);
    }

    [Fact]
    public void ThereMustBeSomethingToServeAndTlsNeedsBothFiles()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pkg2d.json");
        File.WriteAllText(file, "{}");
        Assert.Contains("--listen", Assert.Throws<FormatException>(() => ServeHost.CreateBuilder([], file, _ => null!)).Message);
        Assert.Throws<FormatException>(() => ServeHost.CreateBuilder(["--listen", "127.0.0.1:0", "--tls-cert", "/c.pem"], file, _ => null!));
        Assert.Throws<FormatException>(() => ServeHost.CreateBuilder(["--mount", "/m", "--tls-cert", "/c.pem", "--tls-key", "/k.pem"], file, _ => null!));
        // Without a mount point, nothing of the mount is set up.
        using var host = ServeHost.CreateBuilder(["--listen", "127.0.0.1:0"], file, _ => null!).Build();
        Assert.Null(host.Services.GetService<MountService>());
        Assert.NotNull(host.Services.GetService<Registry.RegistryService>());
    }

    [Fact]
    public async Task HttpsWithAPemCertificate()
    {
        using var dir = new TempDirectory();
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var alternative = new SubjectAlternativeNameBuilder();
        alternative.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(alternative.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(dir.Combine("cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(dir.Combine("key.pem"), key.ExportPkcs8PrivateKeyPem());

        await using var registry = await RegistryHost.StartAsync(null, "--tls-cert", dir.Combine("cert.pem"), "--tls-key", dir.Combine("key.pem"));
        Assert.Equal("https", registry.Address.Scheme);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler) { BaseAddress = registry.Address };
        using var response = await client.GetAsync($"/v2/base/blobs/{registry.Images.A.Descriptor.Digest}");
        Assert.Equal(registry.Images.A.Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [FuseFact]
    public async Task TheMountAndTheRegistryShareOneCacheAndServeTheSameBytes()
    {
        using var dir = new TempDirectory();
        var mountPoint = dir.Combine("mnt");
        try
        {
            await using var registry = await RegistryHost.StartAsync(null, "--mount", mountPoint);
            var layer = registry.Images.A;
            var mounted = await File.ReadAllBytesAsync(Path.Combine(mountPoint, "blobs", "sha256", layer.Descriptor.Digest.Hex));
            Assert.Equal(mounted, await registry.Client.GetByteArrayAsync($"/v2/base/blobs/{layer.Descriptor.Digest}"));
            Assert.Equal(1, layer.Opens);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(mountPoint, "index.json")), registry.Services.GetRequiredService<ILayoutProvider>().Root.IndexJson.ToArray());
            var manifest = registry.Images.Base.ManifestBlob.Descriptor.Digest;
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(mountPoint, "blobs", "sha256", manifest.Hex)),
                await registry.Client.GetByteArrayAsync("/v2/base/manifests/latest"));
        }
        finally
        {
            Mounts.Cleanup(mountPoint);
        }
    }
}
