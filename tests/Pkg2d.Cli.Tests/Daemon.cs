using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A real `pkg2d serve` process, started with NOTIFY_SOCKET pointing at a socket this class listens on, so tests see
/// READY=1 and STOPPING=1 as systemd would. Stopped with SIGTERM; never leaves a mount behind.
/// </summary>
internal sealed class Daemon : IDisposable
{
    private readonly Process _process;
    private readonly Socket _notify;
    private readonly StringBuilder _log = new();
    private readonly List<string> _notifications = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Daemon(string mountPoint, string cache, params string[] options)
    {
        MountPoint = mountPoint;
        Directory.CreateDirectory(mountPoint);
        var socketPath = cache + "-notify.sock";
        File.Delete(socketPath);
        _notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        _notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        _ = Task.Run(ListenAsync);

        var start = Pkg2dProcess.StartInfo(["serve", "--mount", mountPoint, "--cache", cache, .. options]);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string MountPoint { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public IReadOnlyList<string> Notifications
    {
        get
        {
            lock (_notifications)
                return [.. _notifications];
        }
    }

    /// <summary>Whether the daemon logs a line containing <paramref name="text"/> within a few seconds (its output arrives asynchronously).</summary>
    public bool Logs(string text)
    {
        for (var waited = 0; waited < 100; waited++)
        {
            if (Log.Contains(text, StringComparison.Ordinal))
                return true;
            Thread.Sleep(50);
        }
        return false;
    }

    public string Path(params string[] parts) => System.IO.Path.Combine([MountPoint, .. parts]);

    /// <summary>Waits for READY=1 and checks that the mount answers at that moment.</summary>
    public void WaitReady()
    {
        var finished = Task.WhenAny(_ready.Task, _process.WaitForExitAsync()).Wait(TimeSpan.FromSeconds(120));
        if (!_ready.Task.IsCompleted)
            throw new InvalidOperationException($"pkg2d serve did not report READY=1 ({(finished ? "it exited" : "timed out")}):\n{Log}");
        Assert.True(File.Exists(Path("index.json")), "READY=1 came before the mount answered");
    }

    /// <summary>Sends SIGTERM and returns the exit status.</summary>
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

    /// <summary>Kills the daemon the hard way, leaving its mount stale, as a crash would.</summary>
    public void Crash()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public static bool IsMounted(string mountPoint) =>
        File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == mountPoint);

    public void Dispose()
    {
        Stop();
        if (IsMounted(MountPoint))
            Tool.Run("umount", ["-l", MountPoint]);
        _notify.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    private async Task ListenAsync()
    {
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var received = await _notify.ReceiveAsync(buffer, SocketFlags.None);
                var message = Encoding.UTF8.GetString(buffer, 0, received);
                lock (_notifications)
                    _notifications.Add(message);
                if (message.Split('\n').Contains("READY=1"))
                    _ready.TrySetResult();
            }
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
