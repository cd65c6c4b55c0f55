using System.Diagnostics;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A private containerd (its root, state and socket in a folder of its own, the CRI plugin off), driven with
/// `ctr -a SOCKET`, as FACTS.md shows; stopped by its pid, with what it leaves mounted detached.
/// </summary>
internal sealed class PrivateContainerd : IDisposable
{
    private readonly string _dir;
    private readonly Process _daemon;

    public PrivateContainerd(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
        Socket = Path.Combine(dir, "containerd.sock");
        var config = Path.Combine(dir, "config.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{Path.Combine(dir, "root")}"
            state = "{Path.Combine(dir, "state")}"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "{Socket}"
            """);
        _daemon = Process.Start(new ProcessStartInfo("containerd", ["--config", config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        _daemon.OutputDataReceived += (_, _) => { };
        _daemon.ErrorDataReceived += (_, _) => { };
        _daemon.BeginOutputReadLine();
        _daemon.BeginErrorReadLine();
        for (var i = 0; i < 100 && Tool.Run("ctr", ["-a", Socket, "version"]).ExitCode != 0; i++)
            Thread.Sleep(100);
    }

    public string Socket { get; }

    /// <summary>`ctr -a SOCKET ARGUMENTS`; its output, or an exception with what it printed.</summary>
    public string CtrOk(params string[] arguments) => Tool.RunOk("ctr", ["-a", Socket, .. arguments]);

    public void Dispose()
    {
        _daemon.Kill(entireProcessTree: true);
        _daemon.WaitForExit();
        foreach (var mount in File.ReadAllLines("/proc/self/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(_dir, StringComparison.Ordinal)).Reverse())
            Tool.Run("umount", ["-l", mount]);
    }
}
