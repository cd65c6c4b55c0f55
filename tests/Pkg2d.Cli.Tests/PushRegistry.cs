using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>One request as the registry's access log shows it.</summary>
internal sealed record LoggedRequest(string Method, string Path, int Status);

/// <summary>
/// A real CNCF distribution registry (`docker-registry serve`) on 127.0.0.1, storing into a temporary folder, with
/// its access log read so tests can count what a client sent. Optionally behind htpasswd (Basic) or token (Bearer) auth.
/// </summary>
internal sealed partial class PushRegistry : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-registry-");
    private readonly Process _process;
    private readonly List<LoggedRequest> _requests = [];
    private readonly List<string> _output = [];

    /// <param name="auth">YAML lines for the config's `auth:` section (indented by two), or null for none.</param>
    public PushRegistry(string? auth = null)
    {
        Port = FreePort();
        var config = Path.Combine(_dir.Path, "config.yml");
        File.WriteAllText(config, $"""
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {Path.Combine(_dir.Path, "data")}
            http:
              addr: 127.0.0.1:{Port}
              secret: pkg2d-test-secret
            {(auth is null ? "" : "auth:\n" + auth)}
            """);
        var start = new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start docker-registry");
        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitReady();
    }

    public int Port { get; }

    /// <summary>HOST:PORT, as given to --to.</summary>
    public string Host => $"127.0.0.1:{Port}";

    /// <summary>Writes an htpasswd file (bcrypt, as distribution requires) with one user into a folder; returns its path.</summary>
    public static string Htpasswd(string folder, string user, string password)
    {
        var path = Path.Combine(folder, "htpasswd");
        File.WriteAllText(path, Tool.RunOk("htpasswd", "-Bbn", user, password).Trim() + "\n");
        return path;
    }

    /// <summary>Every request the registry logged so far, after a marker request has shown up in the log (so none is still on its way).</summary>
    public IReadOnlyList<LoggedRequest> Requests()
    {
        var marker = $"/v2/pkg2d-marker-{Guid.NewGuid():N}/tags/list";
        using (var http = new HttpClient())
            http.GetAsync($"http://{Host}{marker}").GetAwaiter().GetResult().Dispose();
        for (var waited = 0; waited < 200; waited++)
        {
            lock (_requests)
            {
                var index = _requests.FindIndex(r => r.Path == marker);
                if (index >= 0)
                {
                    var before = _requests.Take(index).ToArray();
                    _requests.RemoveRange(0, index + 1);
                    return before;
                }
            }
            Thread.Sleep(25);
        }
        throw new InvalidOperationException("the registry did not log the marker request:\n" + Log);
    }

    /// <summary>Forgets the requests logged so far.</summary>
    public void ResetLog() => Requests();

    public string Log
    {
        get
        {
            lock (_output)
                return string.Join('\n', _output);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        _process.Dispose();
        _dir.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.Add(line);
        if (AccessLine().Match(line) is { Success: true } match)
        {
            lock (_requests)
                _requests.Add(new LoggedRequest(match.Groups[1].Value, match.Groups[2].Value, int.Parse(match.Groups[3].Value)));
        }
    }

    private void WaitReady()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (_process.HasExited)
                break;
            try
            {
                using var response = http.GetAsync($"http://{Host}/v2/").GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized)
                {
                    ResetLog();
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Thread.Sleep(50);
        }
        throw new InvalidOperationException("docker-registry did not start:\n" + Log);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    // Apache combined format: 127.0.0.1 - - [date] "PUT /v2/... HTTP/1.1" 201 0 "" "agent"
    [GeneratedRegex("""^\S+ \S+ \S+ \[[^\]]*\] "(\S+) (\S+) HTTP/[0-9.]+" (\d{3}) """)]
    private static partial Regex AccessLine();
}
