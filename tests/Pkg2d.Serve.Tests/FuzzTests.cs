using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Pkg2d.Serve.Registry;

namespace Pkg2d.Serve.Tests;

/// <summary>
/// The registry's request handling fed seeded generated requests: the route parser must return one of its endpoints
/// (never throw, never take long), and the running registry must answer every request below 500, each 4xx with a
/// JSON `{"errors":[...]}` body. A failure names the case number, the seed and the request, so `new Random(seed)`
/// replays it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FuzzTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Seed = 0x5eed_2c3e;

    private static readonly string[] Kinds = ["manifests", "blobs", "tags", "referrers", "_catalog", "list", "", ".", ".."];

    // Generated: random bytes as text, percent-encodings (%00, %2F, %2e%2e, broken escapes), dot segments, names of
    // 0..300 chars (up to 20,000 now and then), runs of slashes, and real routes with one part changed. Parse must
    // give an endpoint whose parts rebuild the path exactly; IsValidName/IsValidTag must answer without throwing.
    [Fact]
    public async Task Route_parser_returns_an_endpoint_for_any_path()
    {
        var random = new Random(Seed);
        var failures = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var path = RandomPath(random);
            var label = $"route case {i} (seed {Seed}): path '{Show(path)}'";
            var task = Task.Run(() =>
            {
                try
                {
                    var route = RegistryRoute.Parse(path);
                    _ = RegistryRoute.IsValidName(route.Name);
                    _ = RegistryRoute.IsValidTag(route.Reference);
                    var kind = route.Endpoint switch
                    {
                        Endpoint.Manifest => "manifests",
                        Endpoint.Blob => "blobs",
                        Endpoint.Tags => "tags",
                        Endpoint.Referrers => "referrers",
                        _ => null,
                    };
                    if (kind is null)
                    {
                        if (route.Name.Length > 0 || route.Reference.Length > 0)
                            return $"{route.Endpoint} with name '{Show(route.Name)}' and reference '{Show(route.Reference)}'";
                        if (route.Endpoint == Endpoint.Base && path is not ("/v2" or "/v2/") || route.Endpoint == Endpoint.Catalog && path != "/v2/_catalog")
                            return $"{route.Endpoint} for this path";
                        return null;
                    }
                    var rebuilt = $"/v2/{route.Name}/{kind}/{(route.Endpoint == Endpoint.Tags ? "list" : route.Reference)}";
                    if (route.Name.Length == 0 || rebuilt != path)
                        return $"{route.Endpoint} name '{Show(route.Name)}' reference '{Show(route.Reference)}' does not rebuild the path";
                    if (RegistryRoute.IsValidName(route.Name) && route.Name.Length > RegistryRoute.MaxNameLength)
                        return "a name longer than the limit is valid";
                    return null;
                }
                catch (Exception e)
                {
                    return $"unexpected {e.GetType().FullName}: {e.Message}";
                }
            });
            if (await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(5))) != task)
                Assert.Fail($"{label}: still running after 5 s");
            if (await task is { } problem)
                failures.Add($"{label}: {problem}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failing cases:\n" + string.Join("\n", failures.Take(20)));
    }

    // Generated: raw HTTP/1.1 requests (sent as bytes, so nothing is normalised on the way) with the paths above plus
    // queries (n=, last=, artifactType=), methods (the usual, lowercase, unknown tokens, bodies with a Content-Length)
    // and headers (Range in good, bad and huge forms, Accept, odd header names and values, a long header). Every
    // answer must be below 500; a 4xx to anything but HEAD must carry {"errors":[...]}, except when Kestrel itself
    // refused the request (no registry header), which is listed in the test output.
    [Fact]
    public async Task Registry_answers_generated_requests_below_500_with_json_errors()
    {
        await using var registry = await RegistryHost.StartAsync();
        var random = new Random(Seed + 1);
        var failures = new List<string>();
        var bodiless = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var refused = 0;
        for (var i = 0; i < 300; i++)
        {
            var (request, what) = RandomRequest(random, registry);
            var label = $"request case {i} (seed {Seed + 1}): {what}";
            var head = what.StartsWith("HEAD ", StringComparison.Ordinal);
            Response response;
            try
            {
                response = await SendAsync(registry.Address, request);
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException)
            {
                failures.Add($"{label}: no answer ({e.GetType().Name}: {e.Message})");
                continue;
            }
            statuses[response.Status] = statuses.GetValueOrDefault(response.Status) + 1;
            if (response.Status is < 100 or >= 500)
            {
                failures.Add($"{label}: status {response.Status}: {Show(response.Body)}");
                continue;
            }
            if (response.Status is < 400 or >= 500 || head)
                continue;
            if (!response.FromRegistry)
                refused++;
            if (response.Body.Length == 0)
            {
                if (response.FromRegistry)
                    failures.Add($"{label}: {response.Status} from the registry without a body");
                else
                    bodiless.Add($"{response.Status} for {what}");
                continue;
            }
            try
            {
                using var json = JsonDocument.Parse(response.Body);
                if (json.RootElement.GetProperty("errors").GetArrayLength() == 0)
                    failures.Add($"{label}: {response.Status} with an empty errors list");
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                failures.Add($"{label}: {response.Status} body is not {{\"errors\":[...]}}: {Show(response.Body)}");
            }
        }
        output.WriteLine("statuses: " + string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}")));
        output.WriteLine($"{refused} 4xx answers from Kestrel before routing (no registry header), {bodiless.Count} of them without a body:");
        foreach (var line in bodiless)
            output.WriteLine("  " + line);
        Assert.True(failures.Count == 0, $"{failures.Count} failing cases:\n" + string.Join("\n", failures.Take(20)));
    }

    private static string RandomPath(Random random)
    {
        string Segment() => random.Next(10) switch
        {
            0 => "",
            1 => ".",
            2 => "..",
            3 => Escapes(random),
            4 => new string('a', random.Next(200, 300)),
            5 => Kinds[random.Next(Kinds.Length)],
            6 => "sha256:" + new string('0', random.Next(60, 70)),
            7 => new string([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)random.Next(0x20, 0x7f))]),
            8 => new string([.. Enumerable.Range(0, random.Next(1, 6)).Select(_ => (char)random.Next(0, 0x3000))]),
            _ => new[] { "base", "tool", "w1", "latest", "gcc,make", "library/alpine" }[random.Next(6)],
        };
        switch (random.Next(6))
        {
            case 0:
                return "/v2/" + Segment() + "/" + Kinds[random.Next(Kinds.Length)] + "/" + Segment();
            case 1:
                return "/v2/" + string.Join('/', Enumerable.Range(0, random.Next(0, 8)).Select(_ => Segment()));
            case 2:
                return "/v2" + new string('/', random.Next(1, 300)) + Segment();
            case 3:
                return "/v2/" + new string('a', random.Next(1, 20) == 1 ? random.Next(8000, 20_000) : random.Next(250, 260)) + "/tags/list";
            case 4:
                return new[] { "/v2", "/v2/", "/v2/_catalog", "/", "", "v2/", "/V2/", "/v2/base/manifests/latest", "/v2/base/tags/list" }[random.Next(9)];
            default:
                return string.Join('/', Enumerable.Range(0, random.Next(1, 5)).Select(_ => Segment()));
        }
    }

    private static string Escapes(Random random) => string.Concat(Enumerable.Range(0, random.Next(1, 6)).Select(_ =>
        new[] { "%00", "%2F", "%2f", "%2e", "%2e%2e", "%ZZ", "%", "%4", "%u0041", "%C0%AF", "%ff", "%0A", "%0D%0A", "%20", "+", "%25", "%3F", "%23" }[random.Next(18)]));

    private static (byte[] Request, string What) RandomRequest(Random random, RegistryHost registry)
    {
        var digest = registry.Images.Shared.Descriptor.Digest.ToString();
        var path = random.Next(4) switch
        {
            0 => new[] { $"/v2/base/blobs/{digest}", $"/v2/tool/manifests/{digest}", $"/v2/base/referrers/{digest}", "/v2/base/manifests/latest", "/v2/w1/tags/list", "/v2/_catalog" }[random.Next(6)],
            _ => RandomPath(random),
        };
        if (path.Length == 0 || path[0] != '/')
            path = random.Next(2) == 0 ? "/" + path : path.Length == 0 ? "*" : path;
        if (random.Next(3) == 0)
        {
            var query = new[] { "n=1", "n=-1", "n=99999999999", "n=abc", "n=", "last=%00", "last=" + new string('z', 300), "artifactType=application/spdx+json", "artifactType=%00", "n=1&n=2", "%", "a=%ZZ" }[random.Next(12)];
            path += "?" + query;
        }
        var method = random.Next(10) switch
        {
            < 5 => "GET",
            5 => "HEAD",
            6 => new[] { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE" }[random.Next(6)],
            7 => "get",
            8 => new[] { "FOO", "G\u00c9T", "GET\t", "", "PRI" }[random.Next(5)],
            _ => "GET",
        };
        var headers = new StringBuilder("Host: x\r\n");
        var what = new StringBuilder($"{method} {Show(path)}");
        if (random.Next(3) == 0)
        {
            var range = new[] { "bytes=0-0", "bytes=0-", "bytes=-1", "bytes=5-1", "bytes=0-99999999999999999999", "bytes=99999999999-", "bytes=0-1,2-3", "bytes=", "items=0-1", "bytes=-0", "bytes=--1", "bytes=1-2-3" }[random.Next(12)];
            headers.Append($"Range: {range}\r\n");
            what.Append($" Range: {range}");
        }
        if (random.Next(4) == 0)
        {
            var header = new[] { "Accept: */*", "Accept: \u00ff", "X-\u00e9: 1", "Bad Header: 1", ": empty", "X-Long: " + new string('x', random.Next(1000, 40_000)), "Content-Length: abc", "Transfer-Encoding: gzip", "Expect: 100-continue", "Host: y" }[random.Next(10)];
            headers.Append(header).Append("\r\n");
            what.Append($" header '{Show(header)}'");
        }
        var body = method is "POST" or "PUT" or "PATCH" && random.Next(2) == 0 ? new string('b', random.Next(0, 5000)) : null;
        if (body is not null)
        {
            headers.Append($"Content-Length: {body.Length}\r\n");
            what.Append($" body of {body.Length} bytes");
        }
        headers.Append("Connection: close\r\n\r\n");
        var request = Encoding.Latin1.GetBytes($"{method} {path} HTTP/1.1\r\n{headers}{body}");
        // Characters beyond Latin-1 go out as UTF-8 bytes, as a client sending raw bytes would.
        if (path.Any(c => c > 0xff) || method.Any(c => c > 0xff))
            request = Encoding.UTF8.GetBytes($"{method} {path} HTTP/1.1\r\n{headers}{body}");
        return (request, what.ToString());
    }

    private sealed record Response(int Status, bool FromRegistry, string Body);

    /// <summary>Sends the bytes as they are and reads the whole answer (the request asks the server to close).</summary>
    private static async Task<Response> SendAsync(Uri address, byte[] request)
    {
        using var socket = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = socket.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may answer and close before it has read a large request: read what it said.
        }
        var answer = new MemoryStream();
        try
        {
            await stream.CopyToAsync(answer, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no end of the answer within 5 s; got {answer.Length} bytes");
        }
        catch (IOException) when (answer.Length > 0)
        {
            // Reset after the answer.
        }
        var text = Encoding.Latin1.GetString(answer.ToArray());
        var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || headEnd < 0)
            throw new IOException($"not an HTTP answer: '{Show(text)}'");
        var head = text[..headEnd];
        return new Response(int.Parse(text.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture),
            head.Contains("\r\nDocker-Distribution-API-Version:", StringComparison.OrdinalIgnoreCase), text[(headEnd + 4)..]);
    }

    private static string Show(string text)
    {
        var shown = string.Concat(text.Take(80).Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length > 80 ? $"{shown}... ({text.Length} chars)" : shown;
    }
}
