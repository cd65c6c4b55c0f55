using System.Diagnostics;

namespace Pkg2d.Testing;

/// <summary>Runs an external program (skopeo, umoci, podman, tar...) and captures what it prints.</summary>
public static class Tool
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static (int ExitCode, string Output, string Errors) Run(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        RunAsync(file, arguments, environment).GetAwaiter().GetResult();

    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, params string[] arguments) =>
        RunAsync(file, arguments, null);

    /// <summary>Runs the program to its end (killing it after five minutes) and returns its exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish in {Timeout.TotalMinutes} minutes");
        }
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>Runs the program and returns its standard output; a non-zero exit fails with everything it printed.</summary>
    public static string RunOk(string file, params string[] arguments)
    {
        var (exit, output, errors) = Run(file, arguments);
        if (exit != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {exit}:\n{output}\n{errors}");
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

    public (int ExitCode, string Output, string Errors) Run(params string[] arguments) => Tool.Run("podman",
        [.. Store(_dir.Path), .. arguments],
        new Dictionary<string, string> { ["CONTAINERS_CONF"] = _config });

    /// <summary>
    /// podman's global options for a store of its own under <paramref name="dir"/>: images, run state and libpod's
    /// state (--tmpdir, else /run/libpod, which parallel test runs would share and tear down under each other).
    /// </summary>
    public static string[] Store(string dir) =>
        ["--root", System.IO.Path.Combine(dir, "root"), "--runroot", System.IO.Path.Combine(dir, "run"),
            "--tmpdir", System.IO.Path.Combine(dir, "tmp"), "--storage-driver", "vfs"];

    public string RunOk(params string[] arguments)
    {
        var (exit, output, errors) = Run(arguments);
        if (exit != 0)
            throw new InvalidOperationException($"podman {string.Join(' ', arguments)} exited with {exit}:\n{output}\n{errors}");
        return output;
    }

    public void Dispose()
    {
        // vfs layers may hold read-only directories; podman removes its own store best.
        Run("system", "reset", "--force");
        _dir.Dispose();
    }
}
