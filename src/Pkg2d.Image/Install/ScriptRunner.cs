using System.Collections.Concurrent;
using System.Security.Cryptography;
using Pkg2d.Image.Packages;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Install;

/// <summary>
/// Runs install scripts and triggers the way apk-tools does — apk 2.14 as `lib/apk/exec/NAME-VERSION.TYPE VERSION`
/// (a trigger: its directories) with only PATH in the environment; apk 3 from memory, as `/proc/self/fd/N`, with
/// APK_SCRIPT and APK_PACKAGE too; both with umask 022 in `/` — with the shell emulator over the root being
/// installed. A script that reaches something not emulated, or that would fail (apk reports a failed script and
/// marks the package), changes nothing and stays pending.
/// </summary>
public sealed class ScriptRunner
{
    private const string PathVariable = "/usr/sbin:/usr/bin:/sbin:/bin";

    // Scripts are parsed once per content (many images share them); the bound keeps a daemon's memory flat.
    private const int MaxParsed = 1024;
    private static readonly ConcurrentDictionary<string, ParsedShellScript> Parsed = new(StringComparer.Ordinal);

    private readonly VirtualRoot _root;
    private readonly ShellHost _host;
    private readonly ApkToolsGeneration _generation;

    public ScriptRunner(VirtualRoot root, DateTimeOffset created, Func<PackageFacts, string, byte[]?>? readPackageFile,
        ApkToolsGeneration generation = ApkToolsGeneration.V2)
    {
        _root = root;
        _generation = generation;
        // The day of the last password change: the image's creation day, so the image does not depend on today.
        _host = new ShellHost(new RootFiles(root, readPackageFile), created.ToUnixTimeSeconds() / 86400);
    }

    /// <summary>The system scripts run on: the root's files and accounts.</summary>
    internal ShellHost Host => _host;

    /// <summary>The root's accounts as they stand now: owners of extracted files are mapped against these.</summary>
    public AccountDatabase Accounts => _host.Accounts;

    /// <summary>After a package's files are in: busybox decides how adduser fills an empty gecos.</summary>
    public void PackageFilesChanged(PackageFacts package)
    {
        if (package.Name == "busybox")
            _host.DefaultGecos = ApkVersion.Compare(package.Version, "1.37") >= 0 ? "" : AccountDatabase.OldDefaultGecos;
    }

    /// <summary>Runs a script with its arguments; returns why it stays pending, or null when its effect is in the root.</summary>
    public string? Run(PackageFacts package, PackageScript script, IReadOnlyList<string> arguments)
    {
        var text = ShellText.Decode(script.Content);
        if (!ShellInterpreter.IsBusyboxShell(_host.Files, text))
            return Uninterpreted(text);
        var parsed = Parse(text, script.Content);
        var invocation = Invocation(package, script.Name, arguments);
        _root.BeginJournal();
        var result = ShellInterpreter.Run(parsed, _host, invocation);
        var reason = result.Pending is { } pending ? $"{pending} (line {result.Line})"
            : result.Status != 0 ? $"it exits with status {result.Status} (line {result.Line}), which apk reports as a failed script"
            : null;
        if (reason is null)
            _root.Commit();
        else
            _root.RollBack();
        return reason;
    }

    /// <summary>
    /// `$0` and the environment as each apk starts a script. apk 3 executes its memfd, whose descriptor is the lowest
    /// free one: 6 while a package's archive is still open (pre-install), 5 otherwise (with `--no-cache`).
    /// </summary>
    private ShellInvocation Invocation(PackageFacts package, string scriptName, IReadOnlyList<string> arguments)
    {
        var type = scriptName.TrimStart('.');
        if (_generation == ApkToolsGeneration.V2)
            return new ShellInvocation($"lib/apk/exec/{package.Name}-{package.Version}.{type}", arguments, new Dictionary<string, string> { ["PATH"] = PathVariable });
        var environment = new Dictionary<string, string> { ["PATH"] = PathVariable, ["APK_SCRIPT"] = type, ["APK_PACKAGE"] = package.Name };
        return new ShellInvocation(type == "pre-install" ? "/proc/self/fd/6" : "/proc/self/fd/5", arguments, environment);
    }

    /// <summary>Why a script that busybox's shell does not run stays pending (apk fails to run it when its interpreter is missing).</summary>
    private string Uninterpreted(string text)
    {
        if (!text.StartsWith("#!", StringComparison.Ordinal))
            return "it has no '#!' line, which apk cannot run";
        var line = text[2..(text.IndexOf('\n') is var end and >= 0 ? end : text.Length)].Trim();
        var interpreter = line.Split(' ', '\t')[0];
        return _host.Files[_root.Resolve(interpreter.TrimStart('/'))] is null
            ? $"its interpreter {interpreter} is not installed yet, so apk fails to run it"
            : $"its interpreter '{line}' is not busybox's sh";
    }

    private static ParsedShellScript Parse(string text, byte[] content)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(content));
        if (Parsed.TryGetValue(key, out var parsed))
            return parsed;
        if (Parsed.Count >= MaxParsed)
            Parsed.Clear();
        return Parsed[key] = ShellParser.Parse(text);
    }
}
