using System.Diagnostics;
using System.Text.RegularExpressions;
using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Alpine's real apk (2.14.4, from the x86_64 minirootfs) in a chroot, with the v3.16 x86_64, v3.17 aarch64 and v3.7 armhf
/// indexes as repositories and one empty target root per arch: it answers what `apk add` would install.
/// Extracted once per test class and removed afterwards.
/// </summary>
public sealed partial class ApkReference : IDisposable
{
    private readonly string _root = "";

    public ApkReference()
    {
        // xunit builds class fixtures even when every test of the class is skipped.
        if (ApkReferenceTheoryAttribute.SkipReason is not null)
            return;
        _root = Directory.CreateTempSubdirectory("pkg2d-apkref-").FullName;
        Run("tar", "-xzf", Fixtures.MiniRootfs, "-C", _root);
        Install(Fixtures.X86_64Index, "x86_64");
        Install(Fixtures.Aarch64Index, "aarch64");
        Install(Path.Combine(Fixtures.MirrorBase, "armhf", "APKINDEX.tar.gz"), "armhf");
    }

    private void Install(string index, string arch)
    {
        var repo = Path.Combine(_root, "repo", arch);
        Directory.CreateDirectory(repo);
        File.Copy(index, Path.Combine(repo, "APKINDEX.tar.gz"));
        var target = Path.Combine(_root, "target-" + arch);
        Directory.CreateDirectory(Path.Combine(target, "etc", "apk", "keys"));
        foreach (var key in Directory.GetFiles(Fixtures.KeysDir))
            File.Copy(key, Path.Combine(target, "etc", "apk", "keys", Path.GetFileName(key)));
        File.WriteAllText(Path.Combine(target, "etc", "apk", "arch"), arch + "\n");
        Run("chroot", _root, "/sbin/apk", "add", "--initdb", "--root", "/target-" + arch, "--no-cache");
    }

    /// <summary>
    /// The `name-version` list apk prints for `apk add --simulate`, in its order; or, when apk refuses, null and the
    /// names apk blames (the lines of its error report indented by two spaces).
    /// </summary>
    public (List<string>? Packages, List<string> Blamed) Simulate(string arch, IReadOnlyList<string> world) =>
        Simulate(arch, "/repo", world);

    private int _repositories;

    /// <summary>
    /// Like <see cref="Simulate"/>, with only a repository of this APKINDEX text (x86_64, unsigned, so apk runs with
    /// --allow-untrusted): what apk installs from an index a test writes.
    /// </summary>
    public (List<string>? Packages, List<string> Blamed) SimulateIndex(string apkindex, IReadOnlyList<string> world)
    {
        var name = $"synthetic-{Interlocked.Increment(ref _repositories)}";
        var folder = Path.Combine(_root, name, "x86_64");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "APKINDEX"), apkindex);
        Run("tar", "-czf", Path.Combine(folder, "APKINDEX.tar.gz"), "-C", folder, "APKINDEX");
        return Simulate("x86_64", "/" + name, world, "--allow-untrusted");
    }

    private (List<string>? Packages, List<string> Blamed) Simulate(string arch, string repository, IReadOnlyList<string> world, params string[] options)
    {
        var (code, output) = Run(["chroot", _root, "/sbin/apk", "add", "--simulate", "--root", "/target-" + arch,
            "--repository", repository, "--no-cache", .. options, .. world], check: false);
        if (code == 0)
            return ([.. Installing().Matches(output).Select(m => $"{m.Groups[1].Value}-{m.Groups[2].Value}")], []);
        if (!output.Contains("unable to select packages"))
            throw new InvalidOperationException($"apk failed: {output}");
        return (null, [.. Blamed().Matches(output).Select(m => m.Groups[1].Value)]);
    }

    private (int Code, string Output) Run(params string[] args) => Run(args, check: true);

    private static (int Code, string Output) Run(string[] args, bool check)
    {
        var start = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args[1..])
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd() + stderr.Result;
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', args)} exited with {process.ExitCode}: {output}");
        return (process.ExitCode, output);
    }

    public void Dispose()
    {
        if (_root.Length > 0)
            Directory.Delete(_root, recursive: true);
    }

    [GeneratedRegex(@"^\(\d+/\d+\) Installing (\S+) \((\S+)\)", RegexOptions.Multiline)]
    private static partial Regex Installing();

    [GeneratedRegex(@"^  ([^ \s:]+)", RegexOptions.Multiline)]
    private static partial Regex Blamed();
}

/// <summary>A theory that runs Alpine's apk in a chroot: needs the fixtures and root.</summary>
public sealed class ApkReferenceTheoryAttribute : TheoryAttribute
{
    public ApkReferenceTheoryAttribute() => Skip = SkipReason;

    public static string? SkipReason =>
        Fixtures.Required ? null
        : !Fixtures.Available ? "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure"
        : !TestHost.IsRoot ? "comparing with Alpine's apk needs root (chroot into the minirootfs); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure"
        : null;
}
