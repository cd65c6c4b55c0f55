using System.Text;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>
/// Alpine's real install scripts and triggers (the corpus in ../shared/fixtures/scripts), each run twice on the same
/// small root — Alpine's minirootfs, with the device nodes apk's `--initdb` makes — once by busybox's real sh in a
/// chroot, started as apk-tools 2.14 starts it, once by the interpreter. Where the interpreter runs a script to its
/// end, the status and the whole tree must be busybox's; where it does not, the script is pending, with its reason.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ScriptCorpusTests(ITestOutputHelper output)
{
    /// <summary>What the interpreter must run to the end, of the 190 fresh-install scripts (the rest may be pending).</summary>
    private const double RequiredShare = 0.95;

    private static readonly string[] FreshInstall = [".pre-install", ".post-install", ".trigger"];

    private static readonly Dictionary<string, string> Environment = new() { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };

    /// <summary>What a trigger is passed: directories of the base world, as apk passes a trigger its watched directories.</summary>
    private static readonly string[] TriggerDirectories = ["/usr/share", "/usr/bin"];

    /// <summary>Busybox's backups of the account files, which images deliberately do not carry.</summary>
    private static readonly string[] Backups = ["etc/passwd-", "etc/group-", "etc/shadow-"];

    private sealed record Outcome(string Script, string? Pending, string? Difference);

    [ChrootFact]
    public void Real_scripts_give_busybox_sh_results_or_stay_pending()
    {
        var corpus = Directory.EnumerateFiles(Fixtures.Path("scripts", "aports-main"), "*", SearchOption.AllDirectories)
            .Where(f => FreshInstall.Contains(Path.GetExtension(f)))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(190, corpus.Count);

        using var chroot = new AlpineChroot();
        foreach (var (name, minor) in new[] { ("null", "3"), ("zero", "5"), ("random", "8"), ("urandom", "9") })
            Tool.RunOk("mknod", "-m", "666", chroot.HostPath("/dev/" + name), "c", "1", minor);
        // The minirootfs has lib/apk/exec, where apk writes the script it runs.
        Assert.True(Directory.Exists(chroot.HostPath("/lib/apk/exec")));
        var tree = TarRoot.Load(Fixtures.MiniRootfs);
        var today = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86400;

        // busybox, each script in a copy of the small root (two at a time: the copies and their reading take the time).
        using var work = new TempDirectory("pkg2d-corpus-");
        var real = new (int Status, IReadOnlyDictionary<string, RootEntry> Tree)[corpus.Count];
        Parallel.For(0, corpus.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            var name = Path.GetFileName(corpus[i]);
            var root = Path.Combine(work.Path, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Tool.RunOk("cp", "-a", chroot.Root, root);
            var exec = Path.Combine(root, Exec(name));
            File.Copy(corpus[i], exec);
            File.SetUnixFileMode(exec, (UnixFileMode)0b111_101_101);
            // In a pid namespace of its own: a background job a script leaves (mandoc's trigger) dies with it
            // instead of holding files of the root while it is read.
            var (status, _, _) = Tool.Run("timeout", ["20", "unshare", "--pid", "--fork", "chroot", root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "/bin/sh", "-c", "umask 022; cd / && exec \"$0\" \"$@\" </dev/null", Exec(name), .. Arguments(name)]);
            File.Delete(exec);
            real[i] = (status, RootTree.Read(root).Entries);
            Tool.RunOk("rm", "-rf", root);
        });

        // The interpreter, on the same root, rolled back after each script.
        var outcomes = new List<Outcome>();
        for (var i = 0; i < corpus.Count; i++)
        {
            var name = Path.GetFileName(corpus[i]);
            var script = File.ReadAllBytes(corpus[i]);
            var relative = Path.GetRelativePath(Fixtures.Path("scripts", "aports-main"), corpus[i]);
            tree.BeginJournal();
            try
            {
                tree.Set(Exec(name), RootNode.Generated(script, 0b111_101_101));
                var host = new ShellHost(new RootFiles(tree), today);
                var text = ShellText.Decode(script);
                if (!ShellInterpreter.IsBusyboxShell(host.Files, text))
                {
                    outcomes.Add(new Outcome(relative, $"its interpreter is not busybox's sh ({text.Split('\n')[0]}); busybox status {real[i].Status}", null));
                    continue;
                }
                var result = ShellInterpreter.Run(ShellParser.Parse(text), host, new ShellInvocation(Exec(name), Arguments(name), Environment));
                tree.Remove(Exec(name));
                outcomes.Add(result.Pending is { } pending
                    ? new Outcome(relative, $"{pending} (line {result.Line})", null)
                    : new Outcome(relative, null, Compare(real[i].Tree, TarRoot.Entries(tree, ""), real[i].Status, result.Status)));
            }
            finally
            {
                tree.RollBack();
            }
        }

        var agreed = outcomes.Count(o => o.Pending is null && o.Difference is null);
        var wrong = outcomes.Where(o => o.Difference is not null).ToList();
        var pendingOnes = outcomes.Where(o => o.Pending is not null).ToList();
        var report = new StringBuilder($"{agreed} of {outcomes.Count} fresh-install scripts give busybox's result, {pendingOnes.Count} are pending, {wrong.Count} differ\n");
        foreach (var outcome in pendingOnes)
            report.Append($"  pending {outcome.Script}: {outcome.Pending}\n");
        foreach (var outcome in wrong)
            report.Append($"  DIFFERS {outcome.Script}: {outcome.Difference}\n");
        output.WriteLine(report.ToString());

        Assert.True(wrong.Count == 0, report.ToString());
        Assert.True(agreed >= RequiredShare * outcomes.Count, report.ToString());
    }

    /// <summary>Where apk writes a script before it runs it (its `$0`).</summary>
    private static string Exec(string name) => "lib/apk/exec/" + name;

    /// <summary>What apk passes: a pre- or post-install its version, a trigger its directories.</summary>
    private static string[] Arguments(string name) => name.EndsWith(".trigger", StringComparison.Ordinal) ? TriggerDirectories : ["1.0-r0"];

    /// <summary>The first differences between busybox's tree and the interpreter's, or null when they are the same.</summary>
    private static string? Compare(IReadOnlyDictionary<string, RootEntry> real, IReadOnlyDictionary<string, RootEntry> emulated, int realStatus, int status)
    {
        var differences = new List<string>();
        if (realStatus != status)
            differences.Add($"status {realStatus} (busybox) != {status}");
        foreach (var path in real.Keys.Union(emulated.Keys).Order(StringComparer.Ordinal))
        {
            if (path == "dev" || path.StartsWith("dev/", StringComparison.Ordinal) || Backups.Contains(path))
                continue;
            var expected = real.GetValueOrDefault(path);
            var actual = emulated.GetValueOrDefault(path);
            if (expected != actual)
                differences.Add($"{path}: {expected?.ToString() ?? "missing"} (busybox) != {actual?.ToString() ?? "missing"}");
        }
        return differences.Count == 0 ? null : string.Join("; ", differences.Take(5));
    }
}
