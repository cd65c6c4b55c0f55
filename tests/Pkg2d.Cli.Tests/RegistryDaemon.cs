using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A real `pkg2d serve --listen 127.0.0.1:0` process without a mount; its address is read from its log. Stopped
/// with SIGTERM.
/// </summary>
internal sealed partial class RegistryDaemon : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RegistryDaemon(string cache, params string[] options)
    {
        var start = Pkg2dProcess.StartInfo(["serve", "--listen", "127.0.0.1:0", "--cache", cache, .. options]);
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var finished = Task.WhenAny(_address.Task, _process.WaitForExitAsync()).Wait(TimeSpan.FromSeconds(120));
        if (!_address.Task.IsCompleted)
            throw new InvalidOperationException($"pkg2d serve did not listen ({(finished ? "it exited" : "timed out")}):\n{Log}");
        // Images are resolved before the host starts, so listening means serving.
        Host = _address.Task.Result;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>HOST:PORT, as image references name the registry.</summary>
    public string Host { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public int Stop()
    {
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
                _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        if (Listening().Match(line) is { Success: true } match)
            _address.TrySetResult(match.Groups[1].Value);
    }

    [GeneratedRegex(@"Serving the OCI distribution API at https?://(127\.0\.0\.1:\d+)/")]
    private static partial Regex Listening();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
