using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>
/// The interpreter's bounds: nesting (<see cref="ShellParser.NestingLimit"/>), call depth, the size of values, files and
/// printf fields, and the work of one script. Within them scripts run as busybox runs them; beyond them the script
/// is pending, with a reason naming the bound. Appending to a file is checked against busybox's sh too.
/// </summary>
public sealed class ShellLimitTests(ShellLimitTests.Busybox busybox) : IClassFixture<ShellLimitTests.Busybox>
{
    public sealed class Busybox : IDisposable
    {
        public RealShell Shell { get; } = new();

        public void Dispose() => Shell.Dispose();
    }

    private static string Repeat(string text, int count) => string.Concat(Enumerable.Repeat(text, count));

    /// <summary>Each construct nested as deep as the limit allows, with one level more.</summary>
    public static readonly TheoryData<string, Func<int, string>> Nestings = new()
    {
        { "subshells", n => Repeat("(", n) + "echo x" + Repeat(")", n) },
        { "brace groups", n => Repeat("{ ", n) + "echo x" + Repeat("; }", n) },
        { "ifs", n => Repeat("if :; then ", n) + "echo x" + Repeat("; fi", n) },
        { "while loops", n => Repeat("while :; do ", n) + "echo x; exit" + Repeat("; done", n) },
        { "for loops", n => Repeat("for i in 1; do ", n) + "echo x" + Repeat("; done", n) },
        { "cases", n => Repeat("case a in a) ", n) + "echo x" + Repeat(";; esac", n) },
        { "command substitutions", n => "echo " + Repeat("$(echo ", n) + "x" + Repeat(")", n) },
        { "parameter defaults", n => "echo " + Repeat("${y:-", n) + "x" + Repeat("}", n) },
        { "quoted parameter defaults", n => "echo \"" + Repeat("${y:-", n) + "x" + Repeat("}", n) + "\"" },
        { "arithmetic parentheses", n => "echo $((" + Repeat("(", n - 1) + "1" + Repeat(")", n - 1) + "))" },
        { "mixed", n => "echo " + Repeat("$( ( { echo ${y:-", n / 4) + "x" + Repeat("}; } ) )", n / 4) },
    };

    [Theory]
    [MemberData(nameof(Nestings))]
    public void Constructs_run_up_to_the_nesting_limit_and_are_pending_beyond(string what, Func<int, string> nested)
    {
        var (status, output, pending) = Run(nested(ShellParser.NestingLimit));
        Assert.True(pending is null, $"{what}: {pending}");
        Assert.Equal((0, what == "arithmetic parentheses" ? "1\n" : "x\n"), (status, output));

        (_, _, pending) = Run(nested(ShellParser.NestingLimit + 4));
        Assert.Equal($"constructs nest more than {ShellParser.NestingLimit} deep, not emulated", pending);
    }

    [Fact]
    public void Nesting_beyond_the_limit_is_pending_only_when_the_script_gets_there()
    {
        var deep = Repeat("(", 300) + ":" + Repeat(")", 300);
        Assert.Equal((3, "a\n", null), Run($"echo a\nexit 3\n{deep}"));
        var (_, _, pending) = Run($"echo a\n{deep}");
        Assert.Contains("nest more than 200 deep", pending);
        // In eval and sh -c too.
        Assert.Contains("nest more than 200 deep", Run($"eval '{deep}'").Pending);
        Assert.Contains("nest more than 200 deep", Run($"sh -c '{deep}'").Pending);
    }

    [Fact]
    public void Arithmetic_from_variables_nests_up_to_the_limit()
    {
        Assert.Equal((0, "1 1\n", null), Run($"x='{Repeat("(", 190)}1{Repeat(")", 190)}'; echo $(($x)) $((x))"));
        Assert.Equal((0, "-1\n", null), Run($"x='{Repeat("- ", 199)}1'; echo $(($x))"));
        foreach (var script in new[]
        {
            $"x='{Repeat("(", 300)}1{Repeat(")", 300)}'; echo $(($x))",
            $"x='{Repeat("(", 300)}1{Repeat(")", 300)}'; echo $((x + 1))",
            $"x='{Repeat("!", 300)}1'; echo $(($x))",
            $"x='{Repeat("a=", 300)}1'; echo $(($x))",
            $"x='{Repeat("1?1:", 300)}1'; echo $(($x))",
            // Each variable's value is an expression naming the next: their parentheses add up.
            "a='" + Repeat("(", 60) + "b" + Repeat(")", 60) + "'; b=${a/b/c}; c=${a/b/d}; d=${a/b/e}; e=1; echo $((a))",
        })
            Assert.Contains("an arithmetic expression nests more than 200 deep", Run(script).Pending);
    }

    [Fact]
    public void Calls_nest_up_to_the_limit_across_subshells_and_pipelines()
    {
        Assert.Equal((0, "100\n", null), Run("f() { if [ $1 -lt 100 ]; then (f $(($1 + 1))); else echo $1; fi; }; f 0"));
        Assert.Equal((0, "100\n", null), Run("f() { if [ $1 -lt 100 ]; then f $(($1 + 1)) | cat; else echo $1; fi; }; f 0"));
        foreach (var script in new[]
        {
            "f() { f; }; f", "f() { (f); }; f", "f() { f | f; }; f", "f() { echo $(f); }; f", "f() { g; }; g() { (f); }; f",
            "x='eval \"$x\"'; eval \"$x\"", "echo '. ./s' > s; . ./s", "echo 'sh ./s' > s; sh ./s", "x='sh -c \"$x\"'; export x; sh -c \"$x\"",
        })
        {
            var (_, _, pending) = Run(script);
            Assert.True(pending is not null && pending.Contains("nest", StringComparison.Ordinal), $"{script}: {pending}");
        }
    }

    [Fact]
    public void Values_files_and_the_work_of_a_script_are_bounded()
    {
        Assert.Contains("Mi characters", Run("x=a; while :; do x=$x$x; done").Pending);
        Assert.Contains("the script expands more than 32 Mi characters in all", Run("x=; while :; do x=\"$x.\"; done").Pending);
        Assert.Contains("a command's output exceeds 16 MiB", Run("x=$(printf '%065536d' 0); x=$x$x$x$x$x$x$x$x; while :; do echo $x$x; done | cat").Pending);
        Assert.Contains("/tmp/g exceeds 64 MiB, not emulated", Run("printf '%65536s' '' > f; while :; do cat f f > g; mv g f; done").Pending);
        // Up to the bounds, the same loops run.
        Assert.Equal((0, "8388608\n", null), Run("x=a; i=0; while [ $i -lt 23 ]; do x=$x$x; i=$((i+1)); done; echo ${#x}"));
        Assert.Equal((0, "67108864\n", null), Run("printf '%65536s' '' > f; i=0; while [ $i -lt 10 ]; do cat f f > g; mv g f; i=$((i+1)); done; wc -c < f"));
    }

    // The printf bound (PrintfCommand.FieldLimit).
    private const int FieldLimit = 1 << 16;

    [Fact]
    public void Printf_fields_are_bounded()
    {
        Assert.Equal((0, $"{FieldLimit}\n", null), Run($"printf '%{FieldLimit}s' x | wc -c"));
        Assert.Equal((0, $"{FieldLimit}\n", null), Run($"printf '%*d' -{FieldLimit} 1 | wc -c"));
        Assert.Equal((0, $"{FieldLimit}\n", null), Run($"printf '%.{FieldLimit}d' 1 | wc -c"));
        foreach (var (script, reason) in new[]
        {
            ($"printf '%{FieldLimit + 1}s' x", $"a printf field width of {FieldLimit + 1} exceeds {FieldLimit}, not emulated"),
            ("printf '%099999999999999999999999d' 1", "a printf field width of 99999999999999999999999 exceeds"),
            ("printf '%.99999999999f' 1", "a printf field precision of 99999999999 exceeds"),
            ("printf '%*d' 999999999 1", "a printf field width of 999999999 exceeds"),
            ("printf '%*d' -999999999 1", "a printf field width of -999999999 exceeds"),
            ("printf '%.*d' 99999999999 1", "a printf field precision of 99999999999 exceeds"),
        })
            Assert.Contains(reason, Run(script).Pending);
    }

    [Fact]
    public void Appended_content_reaches_the_root_when_the_script_ends()
    {
        var tree = new VirtualRoot();
        tree.Set("etc", RootNode.Directory());
        tree.Set("etc/f", RootNode.Generated("old\n"u8.ToArray(), 0b110_100_000, 0, 42));
        var result = ShellInterpreter.Run(ShellParser.Parse("echo a >> /etc/f; i=0; while [ $i -lt 1000 ]; do echo $i >> /etc/f; i=$((i+1)); done; echo b >> /etc/new"),
            new ShellHost(new RootFiles(tree), 20000), Invocation);
        Assert.Equal(0, result.Status);
        Assert.Equal("old\na\n" + string.Concat(Enumerable.Range(0, 1000).Select(i => $"{i}\n")), ShellText.Decode(((GeneratedSource)tree["etc/f"]!.Source!).Content));
        Assert.Equal((0b110_100_000, 42), (tree["etc/f"]!.Mode, tree["etc/f"]!.Gid));
        Assert.Equal("b\n", ShellText.Decode(((GeneratedSource)tree["etc/new"]!.Source!).Content));
    }

    /// <summary>Appending, with the file looked at, replaced, moved and removed between appends: as busybox's sh does it.</summary>
    [ChrootFact]
    public void Appending_to_files_gives_busybox_sh_results()
    {
        (string, string[])[] scripts =
        [
            ("echo a >> f; echo b >> f; cat f; wc -c < f", []),
            ("echo a > f; (echo b >> f); echo c | cat >> f; x=$(echo d >> f; cat f); echo \"$x\"; echo e >> f; cat f", []),
            ("for i in 1 2 3; do echo $i >> f; done; mv f g; echo 4 >> g; cat g; echo 5 >> f; cat f", []),
            ("echo a >> f; rm f; echo b >> f; cat f; echo c > f; echo d >> f; cat f", []),
            ("exec 3>>f; echo a >&3; cat f; echo b >&3; rm f; echo c >&3; [ -e f ] || echo gone; exec 3>&-", []),
            ("{ echo a; echo b; } >> f; echo c >> f; cp f g; echo d >> f; cat g f; [ -s f ] && echo nonempty", []),
            ("mkdir d; echo a >> d/f; echo b >> d/f; mv d e; echo c >> e/f; cat e/f; chmod 600 e/f; echo d >> e/f; cat e/f", []),
            ("echo a >> f; ln -s f l; echo b >> l; cat f; sed -i s/a/A/ f; echo c >> f; cat l", []),
            ("umask 77777777777777777; echo $?; umask 8; echo $?; umask 1022; echo $?; umask 0u=rwx; echo $?; umask; umask 00000000000000022; echo $?; umask; umask 0777; umask", []),
            ("printf '%.*s|%*s|%-*s|%.*d|' -1 abc -3 a 3 b -2 5; echo", []),
        ];
        var first = busybox.Shell.NextIndex;
        var real = busybox.Shell.Run(scripts);
        var failures = new List<string>();
        for (var i = 0; i < scripts.Length; i++)
        {
            var (script, arguments) = scripts[i];
            var (emulated, pending) = busybox.Shell.Emulate(script, arguments, first + i);
            if (emulated is null)
                failures.Add($"#{i} {script}\n  pending: {pending}\n  busybox: {real[i]}");
            else if (!emulated.SameAs(real[i]))
                failures.Add($"#{i} {script}\n  busybox: {real[i]}\n  emulated: {emulated}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {scripts.Length} differ:\n\n" + string.Join("\n\n", failures));
    }

    private static readonly ShellInvocation Invocation = new("/lib/apk/exec/t.post-install", ["1.0-r0"], new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" });

    /// <summary>Runs a script in a small root (busybox and its applets, /tmp as the working directory).</summary>
    private static (int Status, string Output, string? Pending) Run(string script)
    {
        var tree = new VirtualRoot();
        foreach (var directory in new[] { "bin", "usr", "usr/bin", "tmp" })
            tree.Set(directory, RootNode.Directory());
        tree.Set("bin/busybox", RootNode.Generated([], 0b111_101_101));
        foreach (var applet in new[] { "cat", "wc", "mv", "cut", "sh" })
            tree.Set("bin/" + applet, RootNode.Symlink("/bin/busybox"));
        var output = new BufferOutput();
        var result = ShellInterpreter.Run(ShellParser.Parse(script), new ShellHost(new RootFiles(tree), 20000), Invocation with { WorkingDirectory = "/tmp" }, output);
        return (result.Status, output.Text, result.Pending);
    }
}
