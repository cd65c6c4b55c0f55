using System.Diagnostics;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A private dockerd (vfs storage, no networking set-up) with its own data and exec roots, as FACTS.md shows;
/// stopped by its pid, with what it leaves mounted detached.
/// </summary>
internal sealed class PrivateDocker : IDisposable
{
    private readonly string _dir;
    private readonly Process _daemon;
    private readonly Dictionary<string, string> _environment;

    public PrivateDocker(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        var socket = Socket = Path.Combine(dir, "docker.sock");
        _daemon = Process.Start(new ProcessStartInfo("dockerd", ["--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
            "--data-root", Path.Combine(dir, "data"), "--exec-root", Path.Combine(dir, "exec"), "--pidfile", Path.Combine(dir, "pid"), "-H", "unix://" + socket])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        _environment = new() { ["DOCKER_HOST"] = "unix://" + socket };
        for (var i = 0; i < 100 && Tool.Run("docker", ["version"], _environment).ExitCode != 0; i++)
            Thread.Sleep(100);
    }

    /// <summary>The daemon's API socket (what `skopeo --dest-daemon-host unix://…` takes).</summary>
    public string Socket { get; }

    public string RunOk(params string[] arguments)
    {
        var (exit, output, errors) = Tool.Run("docker", arguments, _environment);
        if (exit != 0)
            throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited with {exit}:\n{output}\n{errors}");
        return output;
    }

    public void Dispose()
    {
        _daemon.Kill();
        _daemon.WaitForExit();
        foreach (var mount in File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4]).Where(m => m.StartsWith(_dir, StringComparison.Ordinal)).Reverse())
            Tool.Run("umount", ["-l", mount]);
        _daemon.Dispose();
    }
}
