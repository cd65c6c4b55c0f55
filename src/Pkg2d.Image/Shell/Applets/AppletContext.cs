namespace Pkg2d.Image.Shell;

/// <summary>A busybox applet as the shell runs it: returns its exit status.</summary>
public delegate int Applet(AppletContext context);

/// <summary>What an applet gets: its arguments, the root, the shell's working directory and umask, and its streams.</summary>
public sealed class AppletContext
{
    /// <summary>The applet's name (`sed`), which error messages start with.</summary>
    public required string Name { get; init; }

    /// <summary>The arguments after the name.</summary>
    public required IReadOnlyList<string> Arguments { get; init; }

    public required ShellHost Host { get; init; }

    /// <summary>The shell's working directory, absolute.</summary>
    public required string WorkingDirectory { get; init; }

    public required int Umask { get; init; }

    public required ShellInput Input { get; init; }

    public required ShellOutput Output { get; init; }

    public required ShellOutput Error { get; init; }

    /// <summary>The exported variables the command sees.</summary>
    public required IReadOnlyDictionary<string, string> Environment { get; init; }

    public RootFiles Files => Host.Files;

    /// <summary>The real path an operand names (see <see cref="RootFiles.Real"/>).</summary>
    public string Real(string path, bool followLast = true) => Files.Real(WorkingDirectory, path, followLast);

    /// <summary>Writes busybox's error line (`NAME: MESSAGE`) and returns <paramref name="status"/>.</summary>
    public int Fail(string message, int status = 1)
    {
        Error.Write($"{Name}: {message}\n");
        return status;
    }

    /// <summary>Stops the script: this use of the applet is not emulated.</summary>
    public NotEmulatedException NotEmulated(string what) => new($"'{Name} {what}' is not emulated");
}
