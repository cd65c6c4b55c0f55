using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A real `pkg2d serve` process, started with NOTIFY_SOCKET pointing at a socket this class listens on, so tests see
/// READY=1 and STOPPING=1 as systemd would. Stopped with SIGTERM; never leaves a mount behind.
/// </summary>
internal sealed class Daemon : Pkg2dDaemonProcess
{
    private readonly Socket _notify;
    private readonly List<string> _notifications = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Daemon(string mountPoint, string cache, params string[] options)
        : base(StartInfo(mountPoint, cache, options, out var notify))
    {
        MountPoint = mountPoint;
        _notify = notify;
        _ = Task.Run(ListenAsync);
    }

    /// <summary>The notify socket is bound before the daemon starts, so no notification can be sent to nobody.</summary>
    private static ProcessStartInfo StartInfo(string mountPoint, string cache, string[] options, out Socket notify)
    {
        Directory.CreateDirectory(mountPoint);
        var socketPath = cache + "-notify.sock";
        File.Delete(socketPath);
        notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        var start = Pkg2dProcess.StartInfo(["serve", "--mount", mountPoint, "--cache", cache, .. options]);
        start.Environment["NOTIFY_SOCKET"] = socketPath;
        return start;
    }

    public string MountPoint { get; }

    public IReadOnlyList<string> Notifications
    {
        get
        {
            lock (_notifications)
                return [.. _notifications];
        }
    }

    /// <summary>
    /// Whether the daemon logs a line containing <paramref name="text"/> within 20 seconds (its output arrives
    /// asynchronously; on a loaded machine a refresh's requests can take seconds).
    /// </summary>
    public bool Logs(string text)
    {
        for (var waited = 0; waited < 400; waited++)
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
        WaitFor(_ready.Task, "report READY=1");
        Assert.True(File.Exists(Path("index.json")), "READY=1 came before the mount answered");
    }

    public static bool IsMounted(string mountPoint) =>
        File.ReadLines("/proc/self/mountinfo").Any(line => line.Split(' ')[4] == mountPoint);

    public override void Dispose()
    {
        base.Dispose();
        if (IsMounted(MountPoint))
            Tool.Run("umount", ["-l", MountPoint]);
        _notify.Dispose();
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
}
