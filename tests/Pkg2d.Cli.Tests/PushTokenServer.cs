using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A token server for distribution's Bearer auth (`auth: token:`), on 127.0.0.1: it checks a user's Basic
/// credentials and answers with a JWT signed by a self-signed certificate that the registry trusts, granting exactly
/// the scopes asked for. It records each token request's scopes.
/// </summary>
internal sealed class PushTokenServer : IDisposable
{
    public const string Service = "pkg2d-test";
    private const string Issuer = "pkg2d-test-issuer";
    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly string _authorization;
    private readonly List<string[]> _scopes = [];
    private readonly Task _loop;

    public PushTokenServer(string folder, string user, string password)
    {
        _authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
        var request = new CertificateRequest("CN=pkg2d test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        CertificateBundle = Path.Combine(folder, "token-issuer.pem");
        File.WriteAllText(CertificateBundle, _certificate.ExportCertificatePem() + "\n");

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        Realm = $"http://127.0.0.1:{port}/token";
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Realm { get; }

    public string CertificateBundle { get; }

    /// <summary>The registry's `auth:` section for this server.</summary>
    public string RegistryAuth => $"  token:\n    realm: {Realm}\n    service: {Service}\n    issuer: {Issuer}\n    rootcertbundle: {CertificateBundle}\n";

    /// <summary>The scopes of every token request that carried the right credentials, in order.</summary>
    public IReadOnlyList<string[]> GrantedScopes
    {
        get
        {
            lock (_scopes)
                return [.. _scopes];
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
        _certificate.Dispose();
        _key.Dispose();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var response = context.Response;
            var query = context.Request.QueryString;
            if (context.Request.Headers["Authorization"] != _authorization || query["service"] != Service)
            {
                response.StatusCode = 401;
                await response.OutputStream.WriteAsync("""{"details":"bad credentials"}"""u8.ToArray());
                continue;
            }
            var scopes = query.GetValues("scope") ?? [];
            lock (_scopes)
                _scopes.Add(scopes);
            var token = Token(scopes);
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new { token, expires_in = 300 }));
        }
    }

    /// <summary>An RS256 JWT with the certificate in `x5c`, as distribution verifies it against its root bundle.</summary>
    private string Token(string[] scopes)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new
        {
            iss = Issuer,
            sub = "pusher",
            aud = Service,
            exp = now + 300,
            nbf = now - 10,
            iat = now,
            jti = Guid.NewGuid().ToString("N"),
            access = scopes.Select(s => s.Split(':')).Select(p => new { type = p[0], name = p[1], actions = p[2].Split(',') }).ToArray(),
        };
        var signed = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
