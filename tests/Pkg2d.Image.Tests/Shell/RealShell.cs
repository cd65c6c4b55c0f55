using System.Text;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>What a script left: its output, its status, and the tree below its working directory.</summary>
public sealed record ShellOutcome(string Stdout, int Status, IReadOnlyDictionary<string, RootEntry> Files)
{
    public override string ToString() =>
        $"status {Status}\nstdout {RealBusybox.Quote(Stdout)}\nfiles:\n  {string.Join("\n  ", Files.Select(f => $"{f.Key} {f.Value}"))}";

    public bool SameAs(ShellOutcome other) =>
        Stdout == other.Stdout && Status == other.Status && Files.Count == other.Files.Count && Files.All(f => other.Files.TryGetValue(f.Key, out var o) && o == f.Value);
}

/// <summary>
/// busybox 1.36.1's sh (the minirootfs fixture in a chroot) and the interpreter, on the same scripts: each script
/// runs as apk runs install scripts (only PATH in the environment, umask 022) in a folder of its own, `/.t/c/N`,
/// which the comparison looks at (hidden, so that globs such as `/*` see the same root on both sides). The real runs
/// of a batch share one chroot launch.
/// </summary>
public sealed class RealShell : IDisposable
{
    private static readonly Dictionary<string, string> Environment = new() { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" };

    private AlpineChroot? _chroot;
    private VirtualRoot? _tree;
    private int _cases;

    private AlpineChroot Chroot => _chroot ??= WithDevices(new AlpineChroot());

    /// <summary>The device nodes apk's `--initdb` makes, which scripts' redirections use.</summary>
    private static AlpineChroot WithDevices(AlpineChroot chroot)
    {
        foreach (var (name, minor) in new[] { ("null", "3"), ("zero", "5"), ("random", "8"), ("urandom", "9") })
            Tool.RunOk("mknod", "-m", "666", chroot.HostPath("/dev/" + name), "c", "1", minor);
        return chroot;
    }

    /// <summary>The minirootfs as nodes: every emulated run starts from it and is rolled back afterwards.</summary>
    private VirtualRoot Tree => _tree ??= TarRoot.Load(Fixtures.MiniRootfs);

    /// <summary>Runs each script with the real busybox sh (arguments after the script), in one chroot launch.</summary>
    public IReadOnlyList<ShellOutcome> Run(IReadOnlyList<(string Script, string[] Arguments)> scripts)
    {
        var first = _cases;
        _cases += scripts.Count;
        var driver = new StringBuilder("[ -d /.t/etc ] || cp -a /etc /home /.t/\n");
        for (var i = 0; i < scripts.Count; i++)
        {
            var n = first + i;
            Directory.CreateDirectory(Chroot.HostPath($"/.t/c/{n}"));
            Directory.CreateDirectory(Chroot.HostPath("/.t/in"));
            File.WriteAllBytes(Chroot.HostPath($"/.t/in/{n}.sh"), ShellText.Encode(scripts[i].Script));
            driver.Append($"(umask 022; cd /.t/c/{n} && exec timeout 20 /bin/sh /.t/in/{n}.sh");
            foreach (var argument in scripts[i].Arguments)
                driver.Append(' ').Append(RealBusybox.Quote(argument));
            driver.Append($") </dev/null >/.t/in/{n}.out 2>/.t/in/{n}.err; echo $? >/.t/in/{n}.rc\n");
            // Each script starts from the minirootfs's accounts and homes, as each emulated run does.
            driver.Append("rm -rf /etc /home && cp -a /.t/etc /etc && cp -a /.t/home /home\n");
        }
        File.WriteAllBytes(Chroot.HostPath($"/.t/in/driver{first}.sh"), ShellText.Encode(driver.ToString()));
        var (exit, output, errors) = Tool.Run("chroot", [Chroot.Root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", $"/.t/in/driver{first}.sh"]);
        if (exit != 0)
            throw new InvalidOperationException($"the driver failed ({exit}): {output}{errors}");
        return [.. scripts.Select((_, i) => first + i).Select(n => new ShellOutcome(
            File.ReadAllText(Chroot.HostPath($"/.t/in/{n}.out"), Encoding.Latin1),
            int.Parse(File.ReadAllText(Chroot.HostPath($"/.t/in/{n}.rc")).Trim()),
            RootTree.Read(Chroot.HostPath($"/.t/c/{n}")).Entries))];
    }

    /// <summary>The script run by the interpreter in the same folder as real run <paramref name="index"/>; null when pending (with why).</summary>
    public (ShellOutcome? Outcome, string? Pending) Emulate(string script, string[] arguments, int index)
    {
        var tree = Tree;
        tree.BeginJournal();
        try
        {
            var directory = $".t/c/{index}";
            tree.Set(directory, RootNode.Directory());
            var host = new ShellHost(new RootFiles(tree), 20000);
            var output = new BufferOutput();
            var result = ShellInterpreter.Run(ShellParser.Parse(script), host,
                new ShellInvocation($"/.t/in/{index}.sh", arguments, Environment, "/" + directory), output);
            if (result.Pending is { } pending)
                return (null, $"{pending} (line {result.Line})");
            return (new ShellOutcome(output.Text, result.Status, TarRoot.Entries(tree, directory)), null);
        }
        finally
        {
            tree.RollBack();
        }
    }

    /// <summary>The index the next batch's first script gets.</summary>
    public int NextIndex => _cases;

    public void Dispose() => _chroot?.Dispose();
}
