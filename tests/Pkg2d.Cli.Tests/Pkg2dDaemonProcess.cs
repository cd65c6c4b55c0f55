using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Pkg2d.Cli.Tests;

/// <summary>A running `pkg2d serve` whose output is collected as its log; stopped with SIGTERM, as systemd stops it.</summary>
internal abstract class Pkg2dDaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    protected Pkg2dDaemonProcess(ProcessStartInfo start)
    {
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>Waits for <paramref name="signal"/> (something the daemon reports when it is up) or for it to exit.</summary>
    protected void WaitFor(Task signal, string what)
    {
        var finished = Task.WhenAny(signal, _process.WaitForExitAsync()).Wait(TimeSpan.FromSeconds(120));
        if (!signal.IsCompleted)
            throw new InvalidOperationException($"pkg2d serve did not {what} ({(finished ? "it exited" : "timed out")}):\n{Log}");
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

    /// <summary>Kills the daemon the hard way, as a crash would.</summary>
    public void Crash()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <summary>Each line of output as it arrives (after it is in <see cref="Log"/>).</summary>
    protected virtual void OnLine(string line)
    {
    }

    public virtual void Dispose()
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
        OnLine(line);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
