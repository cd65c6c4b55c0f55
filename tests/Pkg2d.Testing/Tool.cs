using System.Diagnostics;

namespace Pkg2d.Testing;

/// <summary>Runs an external program (skopeo, umoci, podman, tar...) and captures what it prints.</summary>
public static class Tool
{
    public static (int ExitCode, string Output, string Error) Run(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in 5 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs the program and returns its standard output; a non-zero exit fails with everything it printed.</summary>
    public static string RunOk(string file, params string[] arguments)
    {
        var (exit, output, error) = Run(file, arguments);
        if (exit != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exit}:\n{output}\n{error}");
        return output;
    }
}

/// <summary>
/// podman with a private store and the settings this kind of machine needs to run containers (runc, lowered
/// rlimits; see FACTS.md), so tests neither touch nor depend on the host's images.
/// </summary>
public sealed class Podman : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-podman-");
    private readonly string _config;

    public Podman()
    {
        _config = System.IO.Path.Combine(_dir.Path, "containers.conf");
        File.WriteAllText(_config, """
            [containers]
            default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
            [engine]
            runtime = "runc"
            """);
    }

    public (int ExitCode, string Output, string Error) Run(params string[] arguments) => Tool.Run("podman",
        ["--root", System.IO.Path.Combine(_dir.Path, "root"), "--runroot", System.IO.Path.Combine(_dir.Path, "run"), "--storage-driver", "vfs", .. arguments],
        new Dictionary<string, string> { ["CONTAINERS_CONF"] = _config });

    public string RunOk(params string[] arguments)
    {
        var (exit, output, error) = Run(arguments);
        if (exit != 0)
            throw new InvalidOperationException($"podman {string.Join(' ', arguments)} exited with {exit}:\n{output}\n{error}");
        return output;
    }

    public void Dispose()
    {
        // vfs layers may hold read-only directories; podman removes its own store best.
        Run("system", "reset", "--force");
        _dir.Dispose();
    }
}
