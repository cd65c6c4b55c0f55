using System.Collections.Concurrent;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>What one `apk add --simulate` answered: the `name-version` list in install order, or null and the names
/// apk blames (its error report's lines indented by two spaces), and everything it printed.</summary>
public sealed record ApkAnswer(List<string>? Packages, List<string> Blamed, string Output);

/// <summary>
/// Both apk-tools generations as oracles: apk 2.14.4 from the x86_64 minirootfs in a chroot, and the static apk
/// 3.0.6 on the host, each with an empty target root that trusts Alpine's keys. They answer for small unsigned
/// indexes a test writes (x86_64, with --allow-untrusted) and for real signed indexes of any arch (`--arch`). Many
/// cases are answered in one batch, several apk runs at a time (a simulated `apk add` only reads its root, so the
/// runs share it).
/// </summary>
public sealed partial class ApkToolsOracle : IDisposable
{
    private readonly string _chroot = "";
    private readonly string _v3Root = "";
    private readonly ConcurrentDictionary<(string Index, string Arch), Lazy<string>> _signed = new();
    private int _repositories;

    public ApkToolsOracle()
    {
        // xunit builds class fixtures even when every test of the class is skipped.
        if (ApkReferenceTheoryAttribute.SkipReason is not null)
            return;
        _chroot = Directory.CreateTempSubdirectory("pkg2d-apkoracle-").FullName;
        Tool.RunOk("tar", "-xzf", Fixtures.MiniRootfs, "-C", _chroot);
        var keys = Directory.CreateDirectory(Path.Combine(_chroot, "target", "etc", "apk", "keys")).FullName;
        foreach (var key in Directory.GetFiles(Fixtures.KeysDir))
            File.Copy(key, Path.Combine(keys, Path.GetFileName(key)));
        File.WriteAllText(Path.Combine(_chroot, "target", "etc", "apk", "arch"), "x86_64\n");
        Tool.RunOk("chroot", _chroot, "/sbin/apk", "add", "--initdb", "--root", "/target", "--no-cache");
        _v3Root = Path.Combine(_chroot, "v3-target");
        Tool.RunOk(Apk3, ["add", "--root", _v3Root, "--initdb", "--keys-dir", Fixtures.KeysDir, "--no-cache", "--arch", "x86_64"]);
    }

    private static string Apk3 => Fixtures.Path("tools", "apk-tools-3.0.6", "apk");

    /// <summary>What apk of <paramref name="generation"/> installs for each (APKINDEX text, world) case.</summary>
    public ApkAnswer[] Simulate(ApkToolsGeneration generation, IReadOnlyList<(string Index, IReadOnlyList<string> World)> cases)
    {
        var runs = cases.Select(c => (Repository: WriteRepository(c.Index), c.World)).ToArray();
        try
        {
            return RunAll(runs.Length, i => Run(generation, runs[i].Repository, "x86_64", runs[i].World, "--allow-untrusted"));
        }
        finally
        {
            foreach (var (repository, _) in runs)
                Directory.Delete(repository, recursive: true);
        }
    }

    public ApkAnswer Simulate(ApkToolsGeneration generation, string index, IReadOnlyList<string> world) =>
        Simulate(generation, [(index, world)])[0];

    /// <summary>What apk of <paramref name="generation"/> installs for each world from a real, signed APKINDEX.tar.gz.</summary>
    public ApkAnswer[] SimulateSigned(ApkToolsGeneration generation, string indexFile, string arch, IReadOnlyList<IReadOnlyList<string>> worlds)
    {
        var repository = _signed.GetOrAdd((indexFile, arch), key => new(() => CopyRepository(key.Index, key.Arch))).Value;
        return RunAll(worlds.Count, i => Run(generation, repository, arch, worlds[i]));
    }

    private static ApkAnswer[] RunAll(int count, Func<int, ApkAnswer> run)
    {
        var answers = new ApkAnswer[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount * 2 }, i => answers[i] = run(i));
        return answers;
    }

    /// <summary>`DIR/ARCH/APKINDEX.tar.gz`, a copy of a signed index, inside the chroot where both apks read it.</summary>
    private string CopyRepository(string indexFile, string arch)
    {
        var repository = Path.Combine(_chroot, $"repo-{Interlocked.Increment(ref _repositories)}");
        File.Copy(indexFile, Path.Combine(Directory.CreateDirectory(Path.Combine(repository, arch)).FullName, "APKINDEX.tar.gz"));
        return repository;
    }

    /// <summary>Writes `DIR/x86_64/APKINDEX.tar.gz` (the plain index, unsigned) inside the chroot, where both apks read it.</summary>
    private string WriteRepository(string index)
    {
        var repository = Path.Combine(_chroot, $"repo-{Interlocked.Increment(ref _repositories)}");
        var folder = Directory.CreateDirectory(Path.Combine(repository, "x86_64")).FullName;
        using var file = File.Create(Path.Combine(folder, "APKINDEX.tar.gz"));
        using var gzip = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gzip, TarEntryFormat.Ustar);
        var entry = new UstarTarEntry(TarEntryType.RegularFile, "APKINDEX") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(index)) };
        tar.WriteEntry(entry);
        return repository;
    }

    private ApkAnswer Run(ApkToolsGeneration generation, string repository, string arch, IReadOnlyList<string> world, params string[] options)
    {
        string[] command = generation == ApkToolsGeneration.V2
            ? ["chroot", _chroot, "/sbin/apk", "add", "--simulate", "--root", "/target", "--no-cache", "--arch", arch, .. options,
                "--repository", "/" + Path.GetFileName(repository), .. world]
            : [Apk3, "add", "--simulate", "--root", _v3Root, "--keys-dir", Fixtures.KeysDir, "--no-cache", "--arch", arch, .. options,
                "--repository", repository, .. world];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command[1..])
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd() + errors.Result;
        process.WaitForExit();
        if (process.ExitCode == 0)
            return new([.. Installing().Matches(output).Select(m => $"{m.Groups[1].Value}-{m.Groups[2].Value}")], [], output);
        if (!output.Contains("unable to select packages"))
            throw new InvalidOperationException($"apk {generation} failed: {output}");
        return new(null, [.. Blamed().Matches(output).Select(m => m.Groups[1].Value)], output);
    }

    public void Dispose()
    {
        if (_chroot.Length > 0)
            Directory.Delete(_chroot, recursive: true);
    }

    [GeneratedRegex(@"^\(\s*\d+/\d+\) Installing (\S+) \((\S+)\)", RegexOptions.Multiline)]
    private static partial Regex Installing();

    [GeneratedRegex(@"^  ([^ \s:]+)", RegexOptions.Multiline)]
    private static partial Regex Blamed();
}

/// <summary>A theory that runs Alpine's apk (2.14.4 in a chroot, 3.0.6 on the host): needs the fixtures and root.</summary>
public sealed class ApkReferenceTheoryAttribute : TheoryAttribute
{
    public ApkReferenceTheoryAttribute() => Skip = SkipReason;

    public static string? SkipReason =>
        Fixtures.Required ? null
        : !Fixtures.Available ? "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure"
        : !TestHost.IsRoot ? "comparing with Alpine's apk needs root (chroot into the minirootfs); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure"
        : null;
}
