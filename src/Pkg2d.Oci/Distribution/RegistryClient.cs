using System.Net;
using System.Net.Http.Headers;

namespace Pkg2d.Oci.Distribution;

/// <summary>How to reach a registry.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>False: certificates are not checked, and plain HTTP is used when HTTPS fails (as podman's --tls-verify=false).</summary>
    public bool TlsVerify { get; init; } = true;

    /// <summary>Credentials per repository (auth files may hold a key per namespace); null: anonymous.</summary>
    public Func<string, RegistryCredentials?> Credentials { get; init; } = _ => null;

    /// <summary>For a request without a large body: how long to wait for the whole answer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>For a blob upload: how long the upload may send nothing (the registry stalled) before it fails.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Added to a 401 answer for a repository without credentials: where they were looked for.</summary>
    public string NoCredentialsHint { get; init; } = "no credentials were given";
}

/// <summary>
/// The push side of the OCI distribution API for one registry: blob existence, cross-repository mounts, monolithic
/// uploads streamed from the blob, and manifests put with their exact bytes and media type.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const string PingPath = "/v2/";
    private readonly HttpClient _http;
    private readonly RegistryClientOptions _options;
    private readonly RegistryAuth _auth;
    private Uri? _base;

    public RegistryClient(string registry, RegistryClientOptions options)
    {
        Registry = registry;
        _options = options;
        var handler = new SocketsHttpHandler { ConnectTimeout = options.ConnectTimeout, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        if (!options.TlsVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        // Timeouts are per request (idle-based for uploads), so the client-wide one is off.
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("pkg2d", typeof(RegistryClient).Assembly.GetName().Version?.ToString(3)));
        _auth = new RegistryAuth(_http, registry, options.Credentials, options.RequestTimeout);
    }

    /// <summary>HOST[:PORT] as given.</summary>
    public string Registry { get; }

    /// <summary>
    /// GET /v2/: picks HTTPS (or HTTP when TLS checks are off and HTTPS fails) and learns how the registry wants to
    /// be authenticated. Fails on an answer that is neither 200 nor 401.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        if (_base is not null)
            return;
        var host = Registry == "docker.io" ? "registry-1.docker.io" : Registry;
        var https = new Uri($"https://{host}");
        try
        {
            await PingAsync(https, cancellationToken).ConfigureAwait(false);
            _base = https;
        }
        catch (HttpRequestException) when (!_options.TlsVerify)
        {
            var http = new Uri($"http://{host}");
            await PingAsync(http, cancellationToken).ConfigureAwait(false);
            _base = http;
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException tls)
        {
            throw new RegistryException($"no TLS connection to {https}: {tls.Message} "
                + "(a registry on plain HTTP or with an untrusted certificate needs --tls-verify=false)", null, e);
        }
    }

    private async Task PingAsync(Uri root, CancellationToken cancellationToken)
    {
        using var timeout = Deadline(cancellationToken, _options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, PingPath));
        using var response = await Send(request, timeout.Token, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            IReadOnlyList<string> none = [];
            _auth.Learn(response, "", ref none);
            return;
        }
        if (response.StatusCode != HttpStatusCode.OK)
            throw await ErrorAsync(response, "", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>HEAD /v2/REPO/blobs/DIGEST: whether the repository has the blob.</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Head, Url($"{repository}/blobs/{digest}")),
            repository, Pull(repository), cancellationToken).ConfigureAwait(false);
        return response.StatusCode switch
        {
            HttpStatusCode.OK => true,
            HttpStatusCode.NotFound => false,
            _ => throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>
    /// POST /v2/REPO/blobs/uploads/?mount=DIGEST&amp;from=FROM: null when the registry mounted the blob (201), else
    /// the upload session it opened instead (202), to upload the blob to.
    /// </summary>
    public async Task<Uri?> MountBlobAsync(string repository, Digest digest, string from, CancellationToken cancellationToken = default)
    {
        var url = Url($"{repository}/blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(from)}");
        using var response = await SendAsync(() => Post(url), repository, [.. Push(repository), $"repository:{from}:pull"], cancellationToken).ConfigureAwait(false);
        return response.StatusCode switch
        {
            HttpStatusCode.Created => null,
            HttpStatusCode.Accepted => Location(response),
            _ => throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false),
        };
    }

    /// <summary>POST /v2/REPO/blobs/uploads/: a new upload session's location.</summary>
    public async Task<Uri> StartUploadAsync(string repository, CancellationToken cancellationToken = default)
    {
        var url = Url($"{repository}/blobs/uploads/");
        using var response = await SendAsync(() => Post(url), repository, Push(repository), cancellationToken).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.Accepted
            ? Location(response)
            : throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// PUT LOCATION?digest=DIGEST with the blob's bytes streamed from <see cref="IBlob.Open"/> (never held in memory)
    /// and Content-Length set to its size; <paramref name="progress"/> hears the bytes sent so far.
    /// </summary>
    public async Task UploadBlobAsync(string repository, Uri location, IBlob blob, Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        var descriptor = blob.Descriptor;
        var builder = new UriBuilder(location);
        builder.Query = (builder.Query.Length > 1 ? builder.Query[1..] + "&" : "") + "digest=" + Uri.EscapeDataString(descriptor.Digest.ToString());
        var url = builder.Uri;
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.IdleTimeout);
        using var response = await SendAsync(() =>
        {
            var content = new StreamContent(new ProgressStream(blob.Open(), descriptor.Size, sent =>
            {
                idle.CancelAfter(_options.IdleTimeout);
                progress?.Invoke(sent);
            }), 128 * 1024);
            content.Headers.ContentLength = descriptor.Size;
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        }, repository, Push(repository), cancellationToken, idle).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
            throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>HEAD /v2/REPO/manifests/REFERENCE: the digest the registry has under that tag or digest, or null.</summary>
    public async Task<Digest?> ManifestDigestAsync(string repository, string reference, string mediaType, CancellationToken cancellationToken = default)
    {
        using var response = await ReadAsync(HttpMethod.Head, repository, $"manifests/{reference}", mediaType, cancellationToken).ConfigureAwait(false);
        return response is null ? null : ContentDigest(response);
    }

    /// <summary>
    /// PUT /v2/REPO/manifests/REFERENCE with the manifest's exact bytes and media type; the registry must store that
    /// digest. True when it says it indexed the manifest's subject for the referrers API (`OCI-Subject`).
    /// </summary>
    public async Task<bool> PutManifestAsync(string repository, string reference, MemoryBlob manifest, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(() =>
        {
            var content = new ReadOnlyMemoryContent(manifest.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(manifest.Descriptor.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, Url($"{repository}/manifests/{reference}")) { Content = content };
        }, repository, Push(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
            throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false);
        if (ContentDigest(response) is { } stored && stored != manifest.Descriptor.Digest)
            throw new RegistryException($"the registry stored the manifest as {stored}, not {manifest.Descriptor.Digest}");
        return response.Headers.Contains("OCI-Subject");
    }

    /// <summary>GET /v2/REPO/referrers/DIGEST: whether the registry answers the referrers API (200) or not (404).</summary>
    public async Task<bool> HasReferrersApiAsync(string repository, Digest subject, CancellationToken cancellationToken = default)
    {
        using var response = await ReadAsync(HttpMethod.Get, repository, $"referrers/{subject}", MediaTypes.OciIndex, cancellationToken).ConfigureAwait(false);
        return response?.Content.Headers.ContentType?.MediaType == MediaTypes.OciIndex;
    }

    /// <summary>The most a manifest read back may hold (the distribution spec lets registries refuse more than 4 MiB).</summary>
    public const int MaxManifestBytes = 4 << 20;

    /// <summary>GET /v2/REPO/manifests/REFERENCE: the manifest's bytes, or null when the registry has none under it.</summary>
    public async Task<byte[]?> GetManifestAsync(string repository, string reference, string mediaType, CancellationToken cancellationToken = default)
    {
        using var response = await ReadAsync(HttpMethod.Get, repository, $"manifests/{reference}", mediaType, cancellationToken).ConfigureAwait(false);
        if (response is null)
            return null;
        if (response.Content.Headers.ContentLength > MaxManifestBytes)
            throw new RegistryException($"the manifest {repository}:{reference} is larger than {MaxManifestBytes} bytes");
        using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var bytes = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (bytes.Length + read > MaxManifestBytes)
                throw new RegistryException($"the manifest {repository}:{reference} is larger than {MaxManifestBytes} bytes");
            bytes.Write(buffer, 0, read);
        }
        return bytes.ToArray();
    }

    /// <summary>A HEAD or GET of /v2/REPO/PATH accepting <paramref name="mediaType"/>: the 200 response, null for a 404, else the registry's error.</summary>
    private async Task<HttpResponseMessage?> ReadAsync(HttpMethod method, string repository, string path, string mediaType, CancellationToken cancellationToken)
    {
        var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, Url($"{repository}/{path}"));
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(mediaType));
            return request;
        }, repository, Pull(repository), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.OK)
            return response;
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
                return null;
            throw await ErrorAsync(response, repository, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => _http.Dispose();

    private static IReadOnlyList<string> Pull(string repository) => [$"repository:{repository}:pull"];

    private static IReadOnlyList<string> Push(string repository) => [$"repository:{repository}:pull,push"];

    private Uri Url(string path) =>
        new(_base ?? throw new InvalidOperationException("ConnectAsync was not called"), "/v2/" + path);

    private static HttpRequestMessage Post(Uri url) => new(HttpMethod.Post, url) { Content = new ByteArrayContent([]) };

    private static Uri Location(HttpResponseMessage response) =>
        response.Headers.Location is { } location
            ? location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location)
            : throw new RegistryException($"{(int)response.StatusCode} answer without a Location header", response.StatusCode);

    private static Digest? ContentDigest(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest)
            ? digest
            : null;

    /// <summary>Sends with the authorization the registry asked for, and once more after a 401 that a new challenge or token may fix.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> build, string repository, IReadOnlyList<string> scopes,
        CancellationToken cancellationToken, CancellationTokenSource? timeout = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var ownTimeout = timeout is null ? Deadline(cancellationToken, _options.RequestTimeout) : null;
            var token = (timeout ?? ownTimeout!).Token;
            using var request = build();
            await _auth.AuthorizeAsync(request, repository, scopes, cancellationToken).ConfigureAwait(false);
            var response = await Send(request, token, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0 || !_auth.Learn(response, repository, ref scopes))
            {
                // Small answers are read now, inside the timeout; a body never matters for HEAD.
                await response.Content.LoadIntoBufferAsync(token).ConfigureAwait(false);
                return response;
            }
            response.Dispose();
        }
    }

    private async Task<HttpResponseMessage> Send(HttpRequestMessage request, CancellationToken timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException($"{request.Method} {request.RequestUri}: no answer in time");
        }
    }

    private static CancellationTokenSource Deadline(CancellationToken cancellationToken, TimeSpan after)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(after);
        return source;
    }

    private async Task<RegistryException> ErrorAsync(HttpResponseMessage response, string repository, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var text = RegistryException.Describe(response.StatusCode, response.ReasonPhrase, body);
        if (response.StatusCode == HttpStatusCode.Unauthorized && _options.Credentials(repository) is null)
            text += $" ({_options.NoCredentialsHint})";
        return new RegistryException(text, response.StatusCode);
    }
}
