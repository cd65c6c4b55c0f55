using System.Diagnostics;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// How every test starts pkg2d: the executable that PKG2D_BIN names (CI sets it to the Native AOT build), else the
/// JIT build next to the tests through `dotnet pkg2d.dll`.
/// </summary>
internal static class Pkg2dProcess
{
    /// <summary>The JIT build the tests reference; also what the binary under test must be built from.</summary>
    public static readonly string Dll = Path.Combine(AppContext.BaseDirectory, "pkg2d.dll");

    /// <summary>The native executable under test, or null for the JIT build.</summary>
    public static readonly string? Binary = Environment.GetEnvironmentVariable("PKG2D_BIN") is { Length: > 0 } bin
        ? File.Exists(bin) ? Path.GetFullPath(bin) : throw new FileNotFoundException($"PKG2D_BIN names no file: {bin}", bin)
        : null;

    /// <summary>A long-running pkg2d (a daemon) whose output the caller reads.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments) =>
        new(Binary ?? "dotnet", Binary is null ? [Dll, .. arguments] : arguments) { RedirectStandardOutput = true, RedirectStandardError = true };

    public static (int ExitCode, string Output, string Errors) Run(IEnumerable<string> arguments, IDictionary<string, string>? environment = null) =>
        Binary is null ? Tool.Run("dotnet", [Dll, .. arguments], environment) : Tool.Run(Binary, arguments, environment);
}
