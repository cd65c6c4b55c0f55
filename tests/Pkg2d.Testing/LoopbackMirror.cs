using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Pkg2d.Testing;

/// <summary>What <see cref="LoopbackMirror"/> does wrong when a faulted path is requested.</summary>
public enum MirrorFaultKind
{
    /// <summary>404 Not Found.</summary>
    NotFound,

    /// <summary>500 Internal Server Error.</summary>
    ServerError,

    /// <summary>Sends the full Content-Length, then only <see cref="MirrorFault.Bytes"/> bytes, then resets the connection.</summary>
    DropAfter,

    /// <summary>A valid response whose body is only the first <see cref="MirrorFault.Bytes"/> bytes of the file.</summary>
    Truncate,

    /// <summary>The whole file with one byte flipped at offset <see cref="MirrorFault.Bytes"/> (negative: from the end).</summary>
    Corrupt,

    /// <summary>Sends <see cref="MirrorFault.Bytes"/> bytes, then waits <see cref="MirrorFault.Delay"/> before the rest.</summary>
    Stall,

    /// <summary>Sends the file in 4 KiB pieces with <see cref="MirrorFault.Delay"/> between them.</summary>
    Slow,
}

/// <summary>A fault injected for one path; <see cref="Times"/> null = every request, else only the next N requests.</summary>
public sealed record MirrorFault(MirrorFaultKind Kind, long Bytes = 0, TimeSpan Delay = default, int? Times = null)
{
    public static MirrorFault NotFound(int? times = null) => new(MirrorFaultKind.NotFound, Times: times);
    public static MirrorFault ServerError(int? times = null) => new(MirrorFaultKind.ServerError, Times: times);
    public static MirrorFault DropAfter(long bytes, int? times = null) => new(MirrorFaultKind.DropAfter, bytes, Times: times);
    public static MirrorFault Truncate(long bytes, int? times = null) => new(MirrorFaultKind.Truncate, bytes, Times: times);
    public static MirrorFault Corrupt(long offset, int? times = null) => new(MirrorFaultKind.Corrupt, offset, Times: times);
    public static MirrorFault Stall(long afterBytes, TimeSpan delay, int? times = null) => new(MirrorFaultKind.Stall, afterBytes, delay, times);
    public static MirrorFault Slow(TimeSpan delayPerPiece, int? times = null) => new(MirrorFaultKind.Slow, 0, delayPerPiece, times);
}

/// <summary>
/// A real HTTP/1.1 server on 127.0.0.1 (ephemeral port) serving a folder read-only, one request per connection.
/// It counts requests per path and injects faults per path, so download code is tested over real sockets.
/// </summary>
public sealed class LoopbackMirror : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, int> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MirrorFault> _faults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _notModified = new(StringComparer.Ordinal);
    private readonly Task _acceptLoop;

    public LoopbackMirror(string root)
    {
        Root = Path.GetFullPath(root);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptAsync();
    }

    /// <summary>The folder served at `/`.</summary>
    public string Root { get; }

    public int Port { get; }

    /// <summary>`http://127.0.0.1:PORT` (no trailing slash).</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The URL of a path relative to <see cref="Root"/> (`armhf/APKINDEX.tar.gz`).</summary>
    public string UrlOf(string relativePath) => $"{Url}/{string.Join('/', relativePath.Split('/').Select(Uri.EscapeDataString))}";

    /// <summary>Requests received for a path relative to <see cref="Root"/> (as it was decoded, no leading slash).</summary>
    public int RequestsFor(string relativePath) => _requests.GetValueOrDefault(relativePath);

    public int TotalRequests => _requests.Values.Sum();

    /// <summary>How many requests for a path were conditional and answered 304 Not Modified.</summary>
    public int NotModifiedFor(string relativePath) => _notModified.GetValueOrDefault(relativePath);

    /// <summary>Every requested path with its count.</summary>
    public IReadOnlyDictionary<string, int> Requests => new Dictionary<string, int>(_requests);

    public void ResetCounts() => _requests.Clear();

    public void Inject(string relativePath, MirrorFault fault) => _faults[relativePath] = fault;

    public void Clear(string relativePath) => _faults.TryRemove(relativePath, out _);

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
            return;
        _stop.Cancel();
        _listener.Stop();
        try
        {
            _acceptLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                client.NoDelay = true;
                var stream = client.GetStream();
                var request = await ReadRequestLineAsync(stream);
                if (request is null)
                    return;
                var (method, target, since) = request.Value;
                await RespondAsync(client, stream, method, target, since);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away or the mirror is stopping.
            }
        }
    }

    private async Task<(string Method, string Target, DateTimeOffset? IfModifiedSince)?> ReadRequestLineAsync(NetworkStream stream)
    {
        var header = new StringBuilder();
        var buffer = new byte[1];
        while (header.Length < 4 || header[^4] != '\r' || header[^3] != '\n' || header[^2] != '\r' || header[^1] != '\n')
        {
            if (await stream.ReadAsync(buffer, _stop.Token) == 0 || header.Length > 16384)
                return null;
            header.Append((char)buffer[0]);
        }
        var lines = header.ToString().Split("\r\n");
        var parts = lines[0].Split(' ');
        var since = lines.Skip(1).Where(l => l.StartsWith("If-Modified-Since:", StringComparison.OrdinalIgnoreCase))
            .Select(l => DateTimeOffset.TryParse(l["If-Modified-Since:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : (DateTimeOffset?)null)
            .FirstOrDefault();
        return parts.Length == 3 ? (parts[0], parts[1], since) : null;
    }

    private async Task RespondAsync(TcpClient client, NetworkStream stream, string method, string target, DateTimeOffset? ifModifiedSince)
    {
        var relative = Uri.UnescapeDataString(target.Split('?')[0]).TrimStart('/');
        _requests.AddOrUpdate(relative, 1, (_, n) => n + 1);
        var fault = TakeFault(relative);
        var path = Path.GetFullPath(Path.Combine(Root, relative));
        var inside = path.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

        if (method is not ("GET" or "HEAD"))
        {
            await WriteStatusAsync(stream, 405, "Method Not Allowed");
            return;
        }
        if (fault?.Kind == MirrorFaultKind.ServerError)
        {
            await WriteStatusAsync(stream, 500, "Internal Server Error");
            return;
        }
        if (fault?.Kind == MirrorFaultKind.NotFound || !inside || !File.Exists(path))
        {
            await WriteStatusAsync(stream, 404, "Not Found");
            return;
        }

        // Conditional requests as a real mirror answers them: whole seconds, as HTTP dates have.
        var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(path)).ToUnixTimeSeconds();
        if (ifModifiedSince is { } since && modified <= since.ToUnixTimeSeconds())
        {
            _notModified.AddOrUpdate(relative, 1, (_, n) => n + 1);
            await stream.WriteAsync("HTTP/1.1 304 Not Modified\r\nConnection: close\r\n\r\n"u8.ToArray(), _stop.Token); // no body, by definition
            return;
        }

        var content = await File.ReadAllBytesAsync(path, _stop.Token);
        if (fault?.Kind == MirrorFaultKind.Truncate)
            content = content[..(int)Math.Min(fault.Bytes, content.Length)];
        if (fault?.Kind == MirrorFaultKind.Corrupt && content.Length > 0)
        {
            var at = fault.Bytes >= 0 ? fault.Bytes : content.Length + fault.Bytes;
            content[(int)Math.Clamp(at, 0, content.Length - 1)] ^= 0xff;
        }

        var lastModified = DateTimeOffset.FromUnixTimeSeconds(modified).ToString("r", System.Globalization.CultureInfo.InvariantCulture);
        var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {content.Length}\r\nLast-Modified: {lastModified}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
        if (method == "HEAD")
            return;

        switch (fault?.Kind)
        {
            case MirrorFaultKind.DropAfter:
                await stream.WriteAsync(content.AsMemory(0, (int)Math.Min(fault.Bytes, content.Length)), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                client.Client.LingerState = new LingerOption(true, 0); // close with RST, as a dropped connection
                client.Client.Close();
                return;
            case MirrorFaultKind.Stall:
                var first = (int)Math.Min(fault.Bytes, content.Length);
                await stream.WriteAsync(content.AsMemory(0, first), _stop.Token);
                await stream.FlushAsync(_stop.Token);
                await Task.Delay(fault.Delay, _stop.Token);
                await stream.WriteAsync(content.AsMemory(first), _stop.Token);
                break;
            case MirrorFaultKind.Slow:
                for (var offset = 0; offset < content.Length; offset += 4096)
                {
                    await stream.WriteAsync(content.AsMemory(offset, Math.Min(4096, content.Length - offset)), _stop.Token);
                    await stream.FlushAsync(_stop.Token);
                    await Task.Delay(fault.Delay, _stop.Token);
                }
                break;
            default:
                await stream.WriteAsync(content, _stop.Token);
                break;
        }
        await stream.FlushAsync(_stop.Token);
        client.Client.Shutdown(SocketShutdown.Send);
    }

    private MirrorFault? TakeFault(string relative)
    {
        while (_faults.TryGetValue(relative, out var fault))
        {
            if (fault.Times is null)
                return fault;
            var rest = fault with { Times = fault.Times - 1 };
            if (rest.Times == 0 ? _faults.TryRemove(new(relative, fault)) : _faults.TryUpdate(relative, rest, fault))
                return fault;
        }
        return null;
    }

    private async Task WriteStatusAsync(NetworkStream stream, int status, string reason)
    {
        var body = Encoding.ASCII.GetBytes($"{status} {reason}\n");
        var head = $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
        await stream.FlushAsync(_stop.Token);
    }
}
