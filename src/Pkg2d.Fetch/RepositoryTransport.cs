using System.Net;
using System.Net.Http.Headers;

namespace Pkg2d.Fetch;

/// <summary>
/// Reads repository files from http(s) URLs or local paths into a stream: connect and idle timeouts, retries with
/// exponential backoff for transient failures (never for 404), and mirrors tried in order.
/// </summary>
public sealed class RepositoryTransport : IDisposable
{
    private readonly HttpClient _client;
    private readonly TransportOptions _options;

    public RepositoryTransport(TransportOptions? options = null)
    {
        _options = options ?? new TransportOptions();
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = _options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None, // .tar.gz and .apk bytes are verified as sent
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("pkg2d", "1.0"));
    }

    public TransportOptions Options => _options;

    /// <summary>
    /// Copies the first mirror location that works into <paramref name="destination"/> (seekable: it is emptied before
    /// every attempt) and returns that location. More than <paramref name="maxBytes"/> bytes is an error.
    /// </summary>
    public async Task<string> DownloadAsync(
        IReadOnlyList<string> locations, Stream destination, long maxBytes = long.MaxValue,
        Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (locations.Count == 0)
            throw new ArgumentException("no location to download from", nameof(locations));
        var failures = new List<FetchException>();
        foreach (var location in locations)
        {
            try
            {
                await DownloadAsync(location, destination, maxBytes, progress, cancellationToken);
                return location;
            }
            catch (FetchException e)
            {
                failures.Add(e);
            }
        }
        if (failures.Count == 1 || failures.All(f => f is OversizeException))
            throw failures[^1];
        var last = failures[^1];
        throw new FetchException(
            "every mirror failed: " + string.Join("; ", failures.Select(f => f.Message)), last.Location,
            failures.All(f => f.IsNotFound) ? HttpStatusCode.NotFound : last.Status, new AggregateException(failures));
    }

    /// <summary>Copies one location into <paramref name="destination"/>, retrying transient failures.</summary>
    public async Task DownloadAsync(
        string location, Stream destination, long maxBytes = long.MaxValue,
        Action<long>? progress = null, CancellationToken cancellationToken = default)
    {
        if (!Location.IsHttp(location))
            await CopyLocalAsync(location, destination, maxBytes, progress, cancellationToken);
        else
            await DownloadHttpAsync(location, destination, maxBytes, progress, null, cancellationToken);
    }

    /// <summary>
    /// Downloads an http(s) location unless the server says it has not changed since <paramref name="since"/>
    /// (HTTP 304: nothing is written). The result carries the server's Last-Modified time when it sends one.
    /// </summary>
    public Task<RemoteFile> DownloadIfModifiedAsync(
        string url, Stream destination, long maxBytes, DateTimeOffset? since, CancellationToken cancellationToken = default) =>
        DownloadHttpAsync(url, destination, maxBytes, null, since, cancellationToken);

    private async Task<RemoteFile> DownloadHttpAsync(
        string url, Stream destination, long maxBytes, Action<long>? progress, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            destination.SetLength(0);
            destination.Position = 0;
            long received = 0;
            try
            {
                return await GetAsync(url, destination, maxBytes, n => { received += n; progress?.Invoke(n); }, since, cancellationToken);
            }
            catch (TransientException) when (attempt < _options.Retries)
            {
                progress?.Invoke(-received);
                await Task.Delay(_options.RetryDelay * Math.Pow(2, attempt), cancellationToken);
            }
            catch (TransientException e)
            {
                progress?.Invoke(-received);
                throw new FetchException(
                    $"{url}: {e.Message} (gave up after {attempt + 1} attempts)", url, e.Status, e.InnerException);
            }
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<RemoteFile> GetAsync(
        string url, Stream destination, long maxBytes, Action<long> progress, DateTimeOffset? since, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.ReadTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.IfModifiedSince = since;
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token);
            if (since is not null && response.StatusCode == HttpStatusCode.NotModified)
                return new RemoteFile(Modified: false, since);
            var status = (int)response.StatusCode;
            if (status >= 500 || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
                throw new TransientException($"HTTP {status} {response.ReasonPhrase}", response.StatusCode);
            if (!response.IsSuccessStatusCode)
                throw new FetchException($"{url}: HTTP {status} {response.ReasonPhrase}", url, response.StatusCode);
            if (response.Content.Headers.ContentLength > maxBytes)
                throw new OversizeException($"{url}: {response.Content.Headers.ContentLength} bytes, more than the {maxBytes} expected", url);

            await using var body = await response.Content.ReadAsStreamAsync(idle.Token);
            var buffer = new byte[81920];
            long total = 0;
            while (true)
            {
                idle.CancelAfter(_options.ReadTimeout);
                var n = await body.ReadAsync(buffer, idle.Token);
                if (n == 0)
                    break;
                total += n;
                if (total > maxBytes)
                    throw new OversizeException($"{url}: more than the {maxBytes} bytes expected", url);
                await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                progress(n);
            }
            return new RemoteFile(Modified: true, response.Content.Headers.LastModified);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientException($"no data for {_options.ReadTimeout.TotalSeconds:0.#}s (timed out)", null, e);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw new TransientException(e.Message, null, e);
        }
        catch (IOException e)
        {
            throw new TransientException($"connection lost: {e.Message}", null, e);
        }
    }

    private static async Task CopyLocalAsync(string path, Stream destination, long maxBytes, Action<long>? progress, CancellationToken cancellationToken)
    {
        destination.SetLength(0);
        destination.Position = 0;
        try
        {
            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            if (source.Length > maxBytes)
                throw new OversizeException($"{path}: {source.Length} bytes, more than the {maxBytes} expected", path);
            var buffer = new byte[81920];
            int n;
            while ((n = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                progress?.Invoke(n);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FetchException($"{path}: no such file", path, null, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FetchException($"{path}: {e.Message}", path, null, e);
        }
    }

    /// <summary>A failure worth retrying; becomes a <see cref="FetchException"/> when the retries are used up.</summary>
    private sealed class TransientException(string message, HttpStatusCode? status, Exception? inner = null) : Exception(message, inner)
    {
        public HttpStatusCode? Status { get; } = status;
    }
}

/// <summary>The outcome of a conditional download: whether new bytes came, and the server's Last-Modified time.</summary>
public sealed record RemoteFile(bool Modified, DateTimeOffset? LastModified);
