using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// `pkg2d serve` set up by its configuration file and serving HTTPS: paths the host tests cover in-process only,
/// here run by the executable under test (in CI the Native AOT build, where trimming could break them).
/// </summary>
public sealed class ServeConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-conf-");
    private readonly LoopbackMirror _mirror = new(Fixtures.Path("mirror"));

    [FixtureFact]
    public async Task AConfigurationFileGivesTheImagesTheApkToolsAndTheCertificateAndClientsGetHttp2()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var alternative = new SubjectAlternativeNameBuilder();
        alternative.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(alternative.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(_dir.Combine("cert.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(_dir.Combine("key.pem"), key.ExportPkcs8PrivateKeyPem());
        var config = _dir.Combine("pkg2d.json");
        File.WriteAllText(config, JsonSerializer.Serialize(new
        {
            pkg2d = new { Images = new[] { "alpine-base" }, OnDemand = false, TlsCertificate = _dir.Combine("cert.pem"), TlsKey = _dir.Combine("key.pem"), ApkTools = "3" },
        }));

        using var daemon = new RegistryDaemon(_dir.Combine("cache"),
            ["--config", config, "--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir]);
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler)
        {
            BaseAddress = new Uri($"https://{daemon.Host}"),
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.index.v1+json"));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));

        using var configured = await client.GetAsync("/v2/alpine-base/manifests/latest");
        Assert.True(configured.StatusCode == HttpStatusCode.OK, daemon.Log);
        Assert.Equal(HttpVersion.Version20, configured.Version);
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", configured.Content.Headers.ContentType?.MediaType);
        var manifest = JsonDocument.Parse(await configured.Content.ReadAsByteArrayAsync()).RootElement;
        Assert.Equal("3", manifest.GetProperty("annotations").GetProperty("dev.pkg2d.apk-tools").GetString());
        using var onDemand = await client.GetAsync("/v2/zlib/manifests/latest");
        Assert.Equal(HttpStatusCode.NotFound, onDemand.StatusCode);
        Assert.Equal(0, daemon.Stop());
    }

    /// <summary>Configured images get the settings of their configuration object or image file; on-demand worlds keep the default config.</summary>
    [FixtureFact]
    public async Task ConfiguredImagesGetTheirSettingsAndOnDemandWorldsTheDefault()
    {
        var config = _dir.Combine("pkg2d.json");
        File.WriteAllText(config, """
            { "pkg2d": { "Images": [ "alpine-base",
              { "Name": "web", "Packages": [ "busybox" ], "Entrypoint": [ "/bin/busybox" ], "Cmd": [ "echo", "hi" ],
                "Env": { "GREETING": "hello" }, "User": "nobody", "Expose": [ "8080" ], "StopSignal": "INT" } ] } }
            """);
        var file = _dir.Combine("images.yaml");
        File.WriteAllText(file, "images:\n  - name: from-file\n    packages: [zlib]\n    workdir: /srv/app\n    labels: {role: library}\n");

        using var daemon = new RegistryDaemon(_dir.Combine("cache"),
            ["--config", config, "--file", file, "--repo", _mirror.Url + "/v3.7/main", "--arch", "armhf", "--keys-dir", Fixtures.KeysDir]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{daemon.Host}") };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        async Task<JsonElement> Config(string name)
        {
            using var response = await client.GetAsync($"/v2/{name}/manifests/latest");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}: {response.StatusCode}\n{daemon.Log}");
            var digest = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync()).RootElement.GetProperty("config").GetProperty("digest").GetString();
            return JsonDocument.Parse(await client.GetByteArrayAsync($"/v2/{name}/blobs/{digest}")).RootElement.GetProperty("config");
        }

        var web = await Config("web");
        Assert.Equal("nobody", web.GetProperty("User").GetString());
        Assert.Equal("[\"/bin/busybox\"]", web.GetProperty("Entrypoint").GetRawText());
        Assert.Equal("[\"echo\",\"hi\"]", web.GetProperty("Cmd").GetRawText());
        Assert.Contains("GREETING=hello", web.GetProperty("Env").EnumerateArray().Select(e => e.GetString()));
        Assert.True(web.GetProperty("ExposedPorts").TryGetProperty("8080/tcp", out _));
        Assert.Equal("SIGINT", web.GetProperty("StopSignal").GetString());
        var fromFile = await Config("from-file");
        Assert.Equal("/srv/app", fromFile.GetProperty("WorkingDir").GetString());
        Assert.Equal("library", fromFile.GetProperty("Labels").GetProperty("role").GetString());
        foreach (var plain in new[] { "alpine-base", "zlib" })
        {
            var config1 = await Config(plain);
            Assert.Equal(["Env", "Cmd"], config1.EnumerateObject().Select(p => p.Name));
            Assert.Equal("[\"/bin/sh\"]", config1.GetProperty("Cmd").GetRawText());
        }
        Assert.Equal(0, daemon.Stop());
    }

    public void Dispose()
    {
        _mirror.Dispose();
        _dir.Dispose();
    }
}
