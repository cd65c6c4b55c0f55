using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Packages;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Image.Tests.Shell;
using Pkg2d.Testing;
using static Pkg2d.Testing.TarBytes;

namespace Pkg2d.Image.Tests;

/// <summary>
/// What pkg2d reads from packages and users (package data tars, install scripts, image files), fed a few hundred
/// seeded bad variants of real inputs: each must finish with a result or the reader's documented error, within a
/// time bound and without allocating far more than its size. A failure names the case number, the seed and the
/// mutation, so `new Random(seed)` replays it.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 0x5eed_1b2d;

    private static string IsoArch => Path.Combine(Fixtures.IsoMirrorBase, "x86_64");

    private static readonly string[] SeedPackages = ["libc-utils-0.7.2-r5.apk", "busybox-binsh-1.36.1-r15.apk", "alpine-base-3.19.1-r0.apk", "ca-certificates-bundle-20230506-r0.apk"];

    // Generated from four small real packages: their data tar (header fields, names such as bin/busybox, etc/passwd,
    // `..` or whiteouts, type flags, link names, sizes, content bytes, truncation) or their .PKGINFO (lines dropped,
    // duplicated, junk numbers) altered, then the package rebuilt consistently (data member recompressed, its hash
    // written into .PKGINFO's datahash, the control member recompressed and the index entry's S: and C: computed), so
    // the damage reaches the scanner's walk of the data tar instead of stopping at a hash check.
    [FixtureFact]
    public void Package_scanner_scans_or_fails_with_a_format_error() => FuzzScanner(reported: false);

    // As above, with two hostile shapes: a data entry named bin/busybox whose size runs past the end of the data tar
    // (the scanner reads busybox whole, for its applet table); half the cases instead add
    // `replaces_priority = 2147483648` to .PKGINFO, beyond an int.
    [FixtureFact]
    public void Package_scanner_with_reported_inputs_scans_or_fails_with_a_format_error() => FuzzScanner(reported: true);

    private static void FuzzScanner(bool reported)
    {
        var seed = reported ? Seed + 10 : Seed;
        var random = new Random(seed);
        var seeds = SeedPackages.Select(name => (Name: name, Bytes: File.ReadAllBytes(Path.Combine(IsoArch, name)))).ToArray();
        var failures = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var (name, real) = seeds[i % seeds.Length];
            var (data, entry, what) = Packages.Mutate(random, real, reported);
            var label = $"scanner case {i} (seed {seed}, {name}): {what}";
            FuzzRun.Check(failures, label, 64L * 1024 * 1024, [typeof(ApkFormatException), typeof(InvalidDataException), typeof(FormatException)], () =>
                PackageScanner.Scan(new MemoryStream(data), entry, TrustedKeys.Empty, allowUntrusted: true, warn: null));
        }
        FuzzRun.AssertNone(failures);
    }

    // Generated from Alpine's real install scripts and triggers (fixtures/scripts, read at test time): tokens and
    // lines deleted, duplicated or swapped, unbalanced quotes, parentheses, braces, `$(`, `${` and here-documents
    // inserted, random bytes, two scripts spliced, nesting up to 500 deep, huge numbers in arithmetic and builtins, and
    // endless loops that must end at the step limit. Each is parsed and run on Alpine's minirootfs (rolled back after
    // each case); the run must end with a status or a pending reason, never an exception.
    [FixtureFact]
    public void Shell_scripts_run_to_a_result_or_stay_pending() => FuzzShell(reported: false);

    // As above, with the generators of the reported findings mixed in (see Shell_reported_cases for each one alone).
    [FixtureFact]
    public void Shell_scripts_with_reported_inputs_run_to_a_result_or_stay_pending() => FuzzShell(reported: true);

    private static void FuzzShell(bool reported)
    {
        var seed = reported ? Seed + 11 : Seed + 1;
        var random = new Random(seed);
        var corpus = Directory.EnumerateFiles(Fixtures.Path("scripts", "aports-main"), "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "MANIFEST.tsv")
            .Order(StringComparer.Ordinal)
            .Select(f => (Name: Path.GetRelativePath(Fixtures.Path("scripts", "aports-main"), f), Text: ShellText.Decode(File.ReadAllBytes(f))))
            .ToArray();
        Assert.NotEmpty(corpus);
        var tree = TarRoot.Load(Fixtures.MiniRootfs);
        var failures = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var (name, text) = corpus[random.Next(corpus.Length)];
            var (script, what) = Scripts.Mutate(random, text, corpus[random.Next(corpus.Length)].Text, reported);
            var label = $"shell case {i} (seed {seed}, {name}): {what}";
            tree.BeginJournal();
            try
            {
                FuzzRun.Check(failures, label, 256L * 1024 * 1024, [], () => RunScript(tree, script));
            }
            finally
            {
                tree.RollBack();
            }
        }
        FuzzRun.AssertNone(failures);
    }

    /// <summary>
    /// The reported shell findings, one script each, with how each must end now: a status (as busybox's sh ends it) or
    /// pending, with a reason containing the given text.
    /// </summary>
    public static readonly TheoryData<string, string, string> ReportedScripts = new()
    {
        { "printf width too large for an int (OverflowException)", "printf '%99999999999s' a", "pending: a printf field width of 99999999999 exceeds" },
        { "printf precision too large for an int (OverflowException)", "printf '%.99999999999f' 1", "pending: a printf field precision of 99999999999 exceeds" },
        { "umask too large for an int (OverflowException): busybox's illegal mode", "umask 77777777777777777", "status 2" },
        { "printf width from an argument: 1 G spaces buffered (time and memory)", "printf '%*d' 999999999 1", "pending: a printf field width of 999999999 exceeds" },
        { "a variable doubled in a loop: 2 GiB in 28 steps, OutOfMemory soon after", "x=a; while :; do x=$x$x; done", "pending: Mi characters" },
        { "a variable grown by one character in a loop: 3.6 GiB copied before the step limit", "x=; while :; do x=\"$x.\"; done", "pending: the script expands more than" },
        { "a function calling itself in a pipeline: the 1000-deep function limit is not carried into subshells, stack overflow", "f() { f | f; }; f", "pending: nest" },
        { "a function calling itself in a subshell: stack overflow (ShellInterpreter.Subshell does not copy the function depth)", "f() { (f); }; f", "pending: nest" },
        { "eval calling itself: stack overflow", "x='eval \"$x\"'; eval \"$x\"", "pending: nest" },
        { "appending to a file in an endless loop: each append copies the file, 1.6 GiB allocated before the step limit", "while true; do echo x >> /tmp/f; done", "pending: the script runs more than" },
        { "10,000 nested subshells: stack overflow in ShellInterpreter.Execute", new string('(', 10_000) + ":" + new string(')', 10_000), "pending: constructs nest more than 200 deep" },
        { "10,000 nested brace groups: stack overflow in ShellInterpreter", string.Concat(Enumerable.Repeat("{ ", 10_000)) + ":" + string.Concat(Enumerable.Repeat("; }", 10_000)), "pending: constructs nest more than 200 deep" },
        { "10,000 nested if: stack overflow in ShellInterpreter", string.Concat(Enumerable.Repeat("if :; then ", 10_000)) + ":" + string.Concat(Enumerable.Repeat("; fi", 10_000)), "pending: constructs nest more than 200 deep" },
        { "10,000 nested $( ): stack overflow in ShellParser.ScanDollar", "echo " + string.Concat(Enumerable.Repeat("$(", 10_000)) + "echo" + new string(')', 10_000), "pending: constructs nest more than 200 deep" },
        { "5,000 nested $( ): stack overflow in ShellInterpreter.Expand", "echo " + string.Concat(Enumerable.Repeat("$(", 5_000)) + "echo" + new string(')', 5_000), "pending: constructs nest more than 200 deep" },
        { "10,000 nested ${x:-: stack overflow in ShellParser.ScanBraceParameter", "echo " + string.Concat(Enumerable.Repeat("${x:-", 10_000)) + "y" + new string('}', 10_000), "pending: constructs nest more than 200 deep" },
        { "3,000 parentheses in $(( )): stack overflow in ArithmeticEvaluator", "echo $((" + new string('(', 3_000) + "1" + new string(')', 3_000) + "))", "pending: constructs nest more than 200 deep" },
        { "3,000 parentheses in a variable's arithmetic: stack overflow in ArithmeticEvaluator", "x='" + new string('(', 3_000) + "1" + new string(')', 3_000) + "'; echo $((x)) $(($x))", "pending: an arithmetic expression nests more than 200 deep" },
        { "10,000 unary minus signs in $(( )): stack overflow in ArithmeticEvaluator.Unary", "x='" + string.Concat(Enumerable.Repeat("- ", 10_000)) + "1'; echo $(($x))", "pending: an arithmetic expression nests more than 200 deep" },
    };

    [Theory]
    [MemberData(nameof(ReportedScripts))]
    public void Shell_reported_cases(string what, string script, string expected)
    {
        var failures = new List<string>();
        ShellResult? result = null;
        var tree = new VirtualRoot();
        tree.Set("tmp", RootNode.Directory());
        FuzzRun.Check(failures, what, 256L * 1024 * 1024, [], () => result = RunScript(tree, script));
        FuzzRun.AssertNone(failures);
        var outcome = result!.Pending is { } pending ? $"pending: {pending}" : $"status {result.Status}";
        var matches = expected.StartsWith("pending: ", StringComparison.Ordinal)
            ? result.Pending?.Contains(expected["pending: ".Length..], StringComparison.Ordinal) == true
            : outcome == expected;
        Assert.True(matches, $"{what}: expected '{expected}', got '{outcome}'");
    }

    private static ShellResult RunScript(VirtualRoot tree, string script)
    {
        var host = new ShellHost(new RootFiles(tree), 20000);
        var result = ShellInterpreter.Run(ShellParser.Parse(script), host,
            new ShellInvocation("/lib/apk/exec/fuzz.post-install", ["1.0-r0"], new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }));
        Assert.True(result.Pending is not null || result.Status >= 0, $"status {result.Status} without a pending reason");
        return result;
    }

    // Generated from a valid image file: lines deleted, duplicated, swapped or re-indented, characters flipped, YAML
    // syntax inserted (anchors, aliases, tags, flow brackets, block scalars, documents, directives), values replaced by
    // huge numbers, long strings or the wrong kind, deep flow nesting, plus random text. Only FormatException may escape.
    [Fact]
    public void Image_file_parses_or_fails_with_a_format_exception()
    {
        Assert.Equal(2, ImageFile.Parse(Definition.ImageFileTests.Full, "images.yaml").Images.Count);
        var random = new Random(Seed + 2);
        var failures = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var (text, what) = i < 20 ? (Text.Random(random, random.Next(400)), "random text") : Text.MutateYaml(random, Definition.ImageFileTests.Full);
            var label = $"image file case {i} (seed {Seed + 2}): {what}";
            FuzzRun.Check(failures, label, 64L * 1024 * 1024 + 200L * text.Length, [typeof(FormatException)], () =>
            {
                var content = ImageFile.Parse(text, "images.yaml");
                foreach (var image in content.Images)
                    _ = image.ToString();
            });
        }
        FuzzRun.AssertNone(failures);
    }
}

file static class Text
{
    private const string Alphabet = " abcxyz019-_.:=<>!/\\\"'$\t\n\u00e9\u4e00{}[]()&*|;#`";

    public static string Random(Random random, int length) => new([.. Enumerable.Range(0, length).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);

    public static (string, string) MutateYaml(Random random, string valid)
    {
        var lines = valid.Split('\n').ToList();
        int Line() => random.Next(lines.Count);
        string Joined() => string.Join('\n', lines);
        switch (random.Next(10))
        {
            case 0:
            {
                var (at, count) = (Line(), random.Next(1, 6));
                lines.RemoveRange(at, Math.Min(count, lines.Count - at));
                return (Joined(), $"lines {at}+{count} removed");
            }
            case 1:
            {
                var at = Line();
                lines.Insert(at, lines[at]);
                return (Joined(), $"line {at} duplicated");
            }
            case 2:
            {
                var (a, b) = (Line(), Line());
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return (Joined(), $"lines {a} and {b} swapped");
            }
            case 3:
            {
                var (at, indent) = (Line(), random.Next(-4, 5));
                lines[at] = indent >= 0 ? new string(' ', indent) + lines[at] : lines[at].TrimStart();
                if (random.Next(3) == 0)
                    lines[at] = "\t" + lines[at];
                return (Joined(), $"line {at} re-indented by {indent}");
            }
            case 4:
            {
                var chars = valid.ToCharArray();
                var at = random.Next(chars.Length);
                chars[at] = Alphabet[random.Next(Alphabet.Length)];
                return (new string(chars), $"char {at} replaced by '{chars[at]}'");
            }
            case 5:
            {
                var syntax = new[] { "&a ", "*a", "!!binary ", "!x ", "{", "}", "[", "]", "- ", "? ", ": ", "|", ">-", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! x\n", "'", "\"", "\\", "#", ",", "@", "`", "\0", "\uFEFF", "<<: *a" }[random.Next(27)];
                var at = random.Next(valid.Length);
                return (valid.Insert(at, syntax), $"'{syntax.Replace("\n", "\\n")}' inserted at {at}");
            }
            case 6:
            {
                var key = new[] { "mode", "gid", "uid", "expose", "stop-signal", "packages", "name", "env", "cmd", "workdir", "owner", "arches" }[random.Next(12)];
                var value = new[] { "99999999999999999999999", "-1", "0x7fffffffffffffff", "077777777777", new string('a', 70000), "[]", "{}", "~", "null", "[[1]]", "{a: {b: c}}", "''", "65536/tcp", "-0", "1e400", ".nan" }[random.Next(16)];
                var at = lines.FindIndex(l => l.TrimStart().StartsWith(key + ":", StringComparison.Ordinal) || l.TrimStart().StartsWith("- " + key + ":", StringComparison.Ordinal));
                if (at < 0)
                    return (valid, "unchanged");
                lines[at] = lines[at][..(lines[at].IndexOf(key + ":", StringComparison.Ordinal) + key.Length + 1)] + " " + value;
                return (Joined(), $"{key} set to '{(value.Length > 30 ? value[..30] + "..." : value)}'");
            }
            case 7:
            {
                var depth = random.Next(10, 20_000);
                var nested = random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{a: ", depth)) + "1" + new string('}', depth);
                var at = Line();
                lines.Insert(at, "x: " + nested);
                return (Joined(), $"flow collection nested {depth} deep at line {at}");
            }
            case 8:
            {
                var at = random.Next(valid.Length);
                return (valid[..at], $"truncated to {at} chars");
            }
            default:
            {
                var at = random.Next(valid.Length);
                var junk = Random(random, random.Next(1, 40));
                return (valid.Insert(at, junk), $"{junk.Length} random chars inserted at {at}");
            }
        }
    }
}

/// <summary>Install scripts altered token by token and line by line.</summary>
file static class Scripts
{
    private static readonly string[] Unbalanced = ["'", "\"", "`", "(", ")", "{", "}", "$(", "${", "$((", "))", "[[", "<<EOF\n", "<<-'X'\n", "<<", "|", "&&", ";;", "case x in", "if", "then", "fi", "done", "esac", "\\", "#", "&", ">", "<&", "2>&-"];

    public static (string, string) Mutate(Random random, string text, string other, bool reported)
    {
        var lines = text.Split('\n').ToList();
        int Line() => random.Next(lines.Count);
        string Joined() => string.Join('\n', lines);
        var choice = random.Next(reported ? 14 : 13);
        switch (choice)
        {
            case 0 or 1:
            {
                var tokens = text.Split(' ').ToList();
                var at = random.Next(tokens.Count);
                var op = random.Next(3);
                var token = tokens[at];
                if (op == 0)
                    tokens.RemoveAt(at);
                else if (op == 1)
                    tokens.Insert(at, token);
                else
                {
                    var other2 = random.Next(tokens.Count);
                    (tokens[at], tokens[other2]) = (tokens[other2], tokens[at]);
                }
                return (string.Join(' ', tokens), $"token {at} ('{Short(token)}') {(op == 0 ? "deleted" : op == 1 ? "duplicated" : "swapped")}");
            }
            case 2:
            {
                var at = Line();
                var removed = lines[at];
                lines.RemoveAt(at);
                return (Joined(), $"line {at} ('{Short(removed)}') deleted");
            }
            case 3:
            {
                var at = Line();
                lines.Insert(at, lines[at]);
                return (Joined(), $"line {at} duplicated");
            }
            case 4:
            {
                var (a, b) = (Line(), Line());
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return (Joined(), $"lines {a} and {b} swapped");
            }
            case 5 or 6:
            {
                var piece = Unbalanced[random.Next(Unbalanced.Length)];
                var at = random.Next(text.Length + 1);
                return (text.Insert(at, piece), $"'{Short(piece)}' inserted at {at}");
            }
            case 7:
            {
                var at = random.Next(text.Length + 1);
                var junk = new string([.. Enumerable.Range(0, random.Next(1, 30)).Select(_ => (char)random.Next(256))]);
                return (text.Insert(at, junk), $"{junk.Length} random bytes inserted at {at}");
            }
            case 8:
            {
                var (a, b) = (random.Next(text.Length + 1), random.Next(other.Length + 1));
                return (text[..a] + other[b..], $"cut at {a} and spliced with another script from {b}");
            }
            case 9:
            {
                var depth = random.Next(1, 500);
                var (open, close, kind) = random.Next(6) switch
                {
                    0 => ("(", ")", "subshells"),
                    1 => ("{ ", "; }", "brace groups"),
                    2 => ("if :; then ", "; fi", "ifs"),
                    3 => ("$(", ")", "command substitutions"),
                    4 => ("\"${x:-", "}\"", "parameter defaults"),
                    _ => ("for i in 1; do ", "; done", "for loops"),
                };
                var inner = string.Concat(Enumerable.Repeat(open, depth)) + "echo x" + string.Concat(Enumerable.Repeat(close, random.Next(3) == 0 ? random.Next(depth) : depth));
                lines.Insert(Line(), (kind is "command substitutions" or "parameter defaults" ? "echo " : "") + inner);
                return (Joined(), $"{depth} nested {kind}");
            }
            case 10:
            {
                var loop = new[]
                {
                    "while :; do :; done", "until false; do i=$((i+1)); done", "while true; do echo x > /tmp/f; done",
                    "f() { f; }; f", "f() { g; }; g() { f; }; f", "for i in 1 2 3; do while :; do continue 2; done; done",
                    "while :; do x=\"$x.\"; done", "while read l; do echo $l; done < /dev/zero",
                }[random.Next(8)];
                lines.Insert(Line(), loop);
                return (Joined(), $"'{loop}' inserted");
            }
            case 11:
            {
                var number = new[] { "99999999999999999999", "-9223372036854775808", "9223372036854775807", "-1", "0x", "08", "1e9" }[random.Next(7)];
                var use = new[] { $"echo $(({number} / -1))", $"exit {number}", $"shift {number}", $"break {number}", $"return {number}", $"x=abc; echo ${{x:{number}:2}}", $"set -- {number}; echo ${{{number}}}", $"[ {number} -lt 1 ]", $"echo $(({number} << {number}))", $"echo $(({number} % 0))", $"sleep {number}", $"head -n {number} /etc/passwd", $"seq {number} 1 1" }[random.Next(13)];
                lines.Insert(Line(), use);
                return (Joined(), $"'{use}' inserted");
            }
            case 12:
            {
                var at = random.Next(text.Length + 1);
                return (text[..at], $"truncated to {at} chars");
            }
            default:
            {
                var bad = new[] { "printf '%99999999999d' 1", "umask 77777777777777777", new string('(', 10_000) + ":" + new string(')', 10_000), "f() { f | f; }; f" }[random.Next(4)];
                lines.Insert(Line(), bad);
                return (Joined(), $"'{Short(bad)}' inserted");
            }
        }
    }

    private static string Short(string text) => (text.Length > 30 ? text[..30] + "..." : text).Replace("\n", "\\n");
}

/// <summary>Packages rebuilt around an altered data tar or .PKGINFO, with every hash and the index entry made to match.</summary>
file static class Packages
{
    public static (byte[] Data, ApkIndexEntry Entry, string What) Mutate(Random random, byte[] real, bool reported)
    {
        var members = Members(real);
        var control = Inflate(real, members[^2]);
        var data = Inflate(real, members[^1]);
        var pkgInfoHeader = TarHeaders(control).First(h => TarName(control, h).EndsWith(".PKGINFO", StringComparison.Ordinal));
        var pkgInfo = Encoding.UTF8.GetString(Content(control, pkgInfoHeader)).Split('\n').ToList();
        string what;
        if (reported ? random.Next(2) == 0 : random.Next(4) != 0)
            (data, what) = MutateDataTar(random, data, reported);
        else
            what = MutatePkgInfo(random, pkgInfo, reported);

        var dataGz = Gzip(data);
        var hash = Convert.ToHexStringLower(SHA256.HashData(dataGz));
        var at = pkgInfo.FindIndex(l => l.StartsWith("datahash = ", StringComparison.Ordinal));
        if (at >= 0)
            pkgInfo[at] = "datahash = " + hash;
        control = WithContent(control, pkgInfoHeader, Encoding.UTF8.GetBytes(string.Join('\n', pkgInfo)));
        var controlGz = Gzip(control);
        byte[] package = [.. real.AsSpan(0, (int)members[^2].Offset), .. controlGz, .. dataGz];

        string Field(string key) => pkgInfo.FirstOrDefault(l => l.StartsWith(key + " = ", StringComparison.Ordinal))?[(key.Length + 3)..] is { Length: > 0 } v ? v : "x";
        var entry = new ApkIndexEntry(
        [
            new('P', Field("pkgname")), new('V', Field("pkgver")), new('A', "x86_64"),
            new('S', package.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new('C', "Q1" + Convert.ToBase64String(SHA1.HashData(controlGz))),
        ], "fuzz");
        return (package, entry, what);
    }

    private static string MutatePkgInfo(Random random, List<string> lines, bool reported)
    {
        if (reported)
        {
            lines.Insert(random.Next(1, lines.Count), "replaces_priority = 2147483648");
            return ".PKGINFO line 'replaces_priority = 2147483648' added";
        }
        switch (random.Next(3))
        {
            case 0:
                var at = random.Next(lines.Count);
                var removed = lines[at];
                lines.RemoveAt(at);
                return $".PKGINFO line '{removed}' removed";
            case 1:
                var key = new[] { "size", "builddate", "provider_priority", "replaces", "triggers", "depend", "replaces_priority" }[random.Next(reported ? 7 : 6)];
                var value = new[] { "99999999999999999999", "-1", "x", "", "2147483648", " 1", "a  b" }[random.Next(7)];
                var line = $"{key} = {value}";
                lines.Insert(random.Next(lines.Count), line);
                return $".PKGINFO line '{line}' added";
            default:
                var dup = random.Next(lines.Count);
                lines.Insert(dup, lines[dup]);
                return $".PKGINFO line '{lines[dup]}' duplicated";
        }
    }

    private static (byte[], string) MutateDataTar(Random random, byte[] tar, bool reported)
    {
        var headers = TarHeaders(tar);
        var changes = new List<string>();
        if (reported)
        {
            // A regular file renamed bin/busybox, claiming more content than the tar holds.
            var file = headers.FirstOrDefault(h => tar[h + 156] is (byte)'0' or 0);
            tar.AsSpan(file, 100).Clear();
            "bin/busybox"u8.CopyTo(tar.AsSpan(file));
            WriteOctal(tar, file + 124, 12, tar.Length + random.Next(1, 1 << 20));
            FixChecksum(tar, file);
            return (tar, "a regular file renamed bin/busybox with a size past the end of the tar");
        }
        for (var n = random.Next(1, 3); n > 0; n--)
        {
            var header = headers[random.Next(headers.Count)];
            var name = TarName(tar, header);
            switch (random.Next(7))
            {
                case 0:
                {
                    var size = random.Next(3) switch { 0 => random.Next(0, 1 << 23), 1 => 0, _ => random.Next(0, 4096) };
                    WriteOctal(tar, header + 124, 12, size);
                    changes.Add($"'{name}' size {size}");
                    break;
                }
                case 1:
                {
                    var bad = new[] { "../../etc/passwd", "/abs/x", "usr/.wh.x", "etc/passwd", "etc/shadow", "etc/busybox-paths.d/x", "./", "a/../b", "", ".wh..wh..opq", new string('n', 100), "bin/sh/x" }[random.Next(12)];
                    tar.AsSpan(header, 100).Clear();
                    Encoding.ASCII.GetBytes(bad).CopyTo(tar, header);
                    changes.Add($"'{name}' renamed '{(bad.Length > 20 ? bad[..20] + "..." : bad)}'");
                    break;
                }
                case 2:
                {
                    var type = "0123457x1g"[random.Next(10)];
                    tar[header + 156] = (byte)type;
                    changes.Add($"'{name}' type '{type}'");
                    break;
                }
                case 3:
                {
                    tar.AsSpan(header + 157, 100).Clear();
                    var link = new[] { "..", "/", "nowhere", "../../x", name, "bin/sh", "" }[random.Next(7)];
                    Encoding.ASCII.GetBytes(link).CopyTo(tar, header + 157);
                    changes.Add($"'{name}' link name '{link}'");
                    break;
                }
                case 4:
                {
                    var (at, width, field) = new[] { (100, 8, "mode"), (108, 8, "uid"), (116, 8, "gid"), (136, 12, "mtime"), (265, 32, "uname") }[random.Next(5)];
                    var bytes = new byte[width];
                    random.NextBytes(bytes);
                    bytes[0] &= 0x7f; // not a base-256 number (see the Apk fuzz tests' reported finding)
                    bytes.CopyTo(tar, header + at);
                    changes.Add($"'{name}' {field} random bytes");
                    break;
                }
                case 5:
                {
                    var at = header + 512 + random.Next(512);
                    if (at < tar.Length)
                        tar[at] ^= (byte)(1 << random.Next(8));
                    changes.Add($"'{name}' content byte {at - header - 512} flipped");
                    break;
                }
                default:
                {
                    var cut = random.Next(tar.Length);
                    tar = tar[..cut];
                    changes.Add($"tar cut to {cut} bytes");
                    return (tar, "data tar: " + string.Join("; ", changes));
                }
            }
            if (random.Next(8) != 0)
                FixChecksum(tar, header);
            else
                changes.Add("checksum left stale");
        }
        return (tar, "data tar: " + string.Join("; ", changes));
    }

}
