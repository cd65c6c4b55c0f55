using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

// Simple commands: assignments, redirections, and finding what a name runs (function, builtin, program).
public sealed partial class ShellInterpreter
{
    private const int AnyExecute = 0b001_001_001;

    /// <summary>A redirection that could not be opened: the command does not run (its message is already printed).</summary>
    private sealed class RedirectionFailed : Exception;

    private int ExecuteSimple(SimpleCommand command)
    {
        _substitutionStatus = null;
        var fields = ExpandFields(command.Words);
        if (fields.Count == 0)
        {
            foreach (var assignment in command.Assignments)
                AssignChecked(assignment.Name, ExpandText(assignment.Value));
            var status = WithRedirections(command.Redirections, () => 0);
            return status != 0 ? status : _substitutionStatus ?? 0;
        }
        var name = fields[0];
        var arguments = fields.GetRange(1, fields.Count - 1);
        if (IsSpecialBuiltin(name))
        {
            foreach (var assignment in command.Assignments)
                AssignChecked(assignment.Name, ExpandText(assignment.Value));
            if (name == "exec" && arguments.Count == 0)
                return OpenRedirections(command.Redirections, saved: null) ? 0 : throw new ShellExit(1);
            return WithRedirections(command.Redirections, () => RunSpecialBuiltin(name, arguments), fatal: true);
        }
        var temporary = command.Assignments.Select(a => (a.Name, Value: ExpandText(a.Value))).ToList();
        return WithRedirections(command.Redirections, () => WithTemporaryAssignments(temporary, () => RunCommand(name, arguments)));
    }

    /// <summary>Runs a function, builtin or program by name (special builtins are handled by the caller).</summary>
    private int RunCommand(string name, List<string> arguments)
    {
        if (!name.Contains('/'))
        {
            if (_state.Functions.TryGetValue(name, out var function))
                return CallFunction(function, arguments);
            if (RunBuiltin(name, arguments) is { } status)
                return status;
        }
        return RunProgram(name, arguments);
    }

    /// <summary>`NAME=value command`: the assignments hold while the command runs (and are exported to a program).</summary>
    private int WithTemporaryAssignments(List<(string Name, string Value)> assignments, Func<int> run)
    {
        if (assignments.Count == 0)
            return run();
        var saved = assignments.Select(a => (a.Name, Value: _state.Variables.GetValueOrDefault(a.Name), Exported: _state.Exported.Contains(a.Name))).ToList();
        foreach (var (name, value) in assignments)
        {
            AssignChecked(name, value);
            _state.Exported.Add(name);
        }
        try
        {
            return run();
        }
        finally
        {
            foreach (var (name, value, exported) in saved)
            {
                if (value is null)
                    _state.Variables.Remove(name);
                else
                    _state.Variables[name] = value;
                if (!exported)
                    _state.Exported.Remove(name);
            }
        }
    }

    private void Assign(string name, string value) => _state.Variables[name] = value.Length <= ShellHost.ValueLimit
        ? value
        : throw new NotEmulatedException($"the value of {name} exceeds {ShellHost.ValueLimit >> 20} Mi characters, not emulated");

    /// <summary>An assignment a script wrote: a read-only variable is a fatal error, as in ash.</summary>
    private void AssignChecked(string name, string value)
    {
        if (_state.ReadOnly.Contains(name))
            Fatal($"{name}: is read only");
        Assign(name, value);
    }

    /// <summary>
    /// Runs <paramref name="run"/> with the redirections applied, then restores the descriptors. When one cannot be
    /// opened the command does not run: status <paramref name="failure"/>, or (for special builtins) the end of the shell.
    /// </summary>
    private int WithRedirections(IReadOnlyList<Redirection> redirections, Func<int> run, bool fatal = false, int failure = 1)
    {
        if (redirections.Count == 0)
            return run();
        var saved = new Dictionary<int, Descriptor?>();
        try
        {
            if (!OpenRedirections(redirections, saved))
                return fatal ? throw new ShellExit(1) : failure;
            return run();
        }
        finally
        {
            foreach (var (descriptor, previous) in saved)
            {
                if (previous is null)
                    _state.Descriptors.Remove(descriptor);
                else
                    _state.Descriptors[descriptor] = previous;
            }
        }
    }

    /// <summary>Opens each redirection in order (saving what it replaces when <paramref name="saved"/> is given); false after the first failure.</summary>
    private bool OpenRedirections(IReadOnlyList<Redirection> redirections, Dictionary<int, Descriptor?>? saved)
    {
        try
        {
            foreach (var redirection in redirections)
                Open(redirection, saved);
            return true;
        }
        catch (RedirectionFailed)
        {
            return false;
        }
    }

    private void Open(Redirection redirection, Dictionary<int, Descriptor?>? saved)
    {
        var descriptor = redirection.Descriptor;
        void Set(int fd, Descriptor? value)
        {
            saved?.TryAdd(fd, _state.Descriptors.GetValueOrDefault(fd));
            if (value is null)
                _state.Descriptors.Remove(fd);
            else
                _state.Descriptors[fd] = value;
        }
        switch (redirection.Kind)
        {
            case RedirectionKind.HereDocument:
                Set(descriptor, new Descriptor(new ShellInput(ShellText.Encode(ExpandText(redirection.Document!.Body))), null));
                return;
            case RedirectionKind.Duplicate:
            {
                var target = ExpandText(redirection.Target);
                if (target == "-")
                {
                    Set(descriptor, null);
                    return;
                }
                if (!int.TryParse(target, out var from) || from < 0)
                {
                    Diagnostic($"line {_line}: {target}: bad number");
                    throw new RedirectionFailed();
                }
                if (!_state.Descriptors.TryGetValue(from, out var open))
                {
                    Diagnostic($"{from}: Bad file descriptor");
                    throw new RedirectionFailed();
                }
                Set(descriptor, open);
                return;
            }
            case RedirectionKind.ReadWrite:
                throw new NotEmulatedException("a '<>' redirection is not emulated");
        }
        var path = ExpandText(redirection.Target);
        if (path == "/dev/null")
        {
            Set(descriptor, new Descriptor(redirection.Kind == RedirectionKind.Input ? ShellInput.Empty : null, ShellOutput.Null));
            if (redirection.Kind == RedirectionKind.OutputAndError)
                Set(2, new Descriptor(null, ShellOutput.Null));
            return;
        }
        if (StandardStream(path) is { } stream)
        {
            if (!_state.Descriptors.TryGetValue(stream, out var open))
                throw new NotEmulatedException($"{path} refers to a closed descriptor");
            Set(descriptor, open);
            if (redirection.Kind == RedirectionKind.OutputAndError)
                Set(2, open);
            return;
        }
        if (path.Length == 0)
        {
            Diagnostic($"can't {(redirection.Kind == RedirectionKind.Input ? "open" : "create")} : No such file or directory");
            throw new RedirectionFailed();
        }
        var real = _host.Files.Real(_state.WorkingDirectory, path);
        if (redirection.Kind == RedirectionKind.Input)
        {
            var input = _host.Files[real] switch
            {
                { Kind: NodeKind.File } => new ShellInput(_host.Files.Read(real)),
                { Kind: NodeKind.Directory } => ShellInput.Directory,
                _ => null,
            };
            if (input is null)
            {
                Diagnostic($"can't open {path}: no such file");
                throw new RedirectionFailed();
            }
            Set(descriptor, new Descriptor(input, null));
            return;
        }
        var output = CreateForWriting(path, real, truncate: redirection.Kind != RedirectionKind.Append);
        Set(descriptor, new Descriptor(null, output));
        if (redirection.Kind == RedirectionKind.OutputAndError)
            Set(2, new Descriptor(null, output));
    }

    /// <summary>`/dev/stdout`, `/dev/stderr`, `/dev/fd/N`: the descriptor they name, which the runtime's /dev provides.</summary>
    private static int? StandardStream(string path) => path switch
    {
        "/dev/stdin" => 0,
        "/dev/stdout" => 1,
        "/dev/stderr" => 2,
        _ when path.StartsWith("/dev/fd/", StringComparison.Ordinal) && int.TryParse(path.AsSpan(8), out var fd) => fd,
        _ => null,
    };

    /// <summary>Opens a file of the root for `>` (truncated) or `>>`: created 0666 under the umask, owned by root.</summary>
    private FileOutput CreateForWriting(string path, string real, bool truncate)
    {
        // Only the kind: looking at the node would put what earlier commands appended into it (see RootFiles.Append).
        var kind = _host.Files.KindOf(real);
        if (kind == NodeKind.Directory)
        {
            Diagnostic($"can't create {path}: Is a directory");
            throw new RedirectionFailed();
        }
        if (kind is null && !_host.Files.IsDirectory(RootFiles.Parent(real)))
        {
            Diagnostic($"can't create {path}: nonexistent directory");
            throw new RedirectionFailed();
        }
        if (kind is null || truncate)
            _host.Files.Write(real, [], 0b110_110_110 & ~_state.Umask);
        return new FileOutput(_host.Files, real);
    }

    /// <summary>
    /// Runs a program of the root: found through PATH (or by its path), it must be busybox (the applet its name
    /// says), bbsuid, busybox-extras, or a shell script; anything else is not emulated.
    /// </summary>
    private int RunProgram(string name, List<string> arguments)
    {
        var real = name.Contains('/') ? _host.Files.Real(_state.WorkingDirectory, name) : SearchPath(name);
        var node = real is null ? null : _host.Files[real];
        if (real is null || node is null)
        {
            Diagnostic($"{name}: not found");
            return 127;
        }
        if (!IsExecutable(node))
        {
            Diagnostic($"{name}: Permission denied");
            return 126;
        }
        return Execute(real, name, arguments);
    }

    /// <summary>The real path of the first executable file named <paramref name="name"/> in PATH, or null.</summary>
    private string? SearchPath(string name) => SearchPath(name, IsExecutable)?.Real;

    /// <summary>`command -v`'s answer: the path PATH finds, as PATH spells it, or null.</summary>
    private string? FindInPath(string name) => SearchPath(name, IsExecutable)?.Path;

    /// <summary>The first path along PATH (an empty entry is the working directory) whose node satisfies <paramref name="wanted"/>.</summary>
    private (string Path, string Real)? SearchPath(string name, Func<RootNode?, bool> wanted)
    {
        foreach (var directory in (_state.Variables.GetValueOrDefault("PATH") ?? "").Split(':'))
        {
            var candidate = directory.Length == 0 ? name : directory.TrimEnd('/') + "/" + name;
            var real = _host.Files.Real(_state.WorkingDirectory, candidate);
            if (wanted(_host.Files[real]))
                return (candidate, real);
        }
        return null;
    }

    private static bool IsExecutable(RootNode? node) => node is { Kind: NodeKind.File } && (node.Mode & AnyExecute) != 0;

    private int Execute(string real, string argv0, List<string> arguments)
    {
        var program = RootFiles.Name(real);
        var inBin = RootFiles.Parent(real) is "bin" or "usr/bin" or "sbin" or "usr/sbin";
        if (inBin && program == "busybox")
        {
            var applet = argv0[(argv0.LastIndexOf('/') + 1)..];
            return applet == "busybox" ? RunBusybox(argv0, arguments) : RunApplet(applet, arguments);
        }
        if (inBin && program == "bbsuid" && arguments is ["--install"])
            return SystemApplets.BbsuidInstall(Context("bbsuid", arguments));
        if (inBin && program == "busybox-extras" && arguments is ["--install", "-s", ..] && arguments.Count <= 3)
            return SystemApplets.InstallLinks(Context("busybox-extras", arguments), "etc/busybox-paths.d/busybox-extras", argv0, arguments.ElementAtOrDefault(2));
        // musl-utils' getent, which scripts use to look up accounts.
        if (real == "usr/bin/getent")
            return AccountApplets.Getent(Context("getent", arguments));
        if (ShellScript(real) is { } script)
            return RunScriptFile(script, argv0, arguments);
        throw new NotEmulatedException($"'{argv0}' is not emulated (/{real} is not a busybox applet)");
    }

    /// <summary>`busybox APPLET ARGS...` and `busybox --install -s [DIR]`.</summary>
    private int RunBusybox(string argv0, List<string> arguments)
    {
        if (arguments is ["--install", "-s", ..] && arguments.Count <= 3)
            return SystemApplets.InstallLinks(Context("busybox", arguments), "etc/busybox-paths.d/busybox", argv0, arguments.ElementAtOrDefault(2));
        if (arguments.Count == 0 || arguments[0].StartsWith('-'))
            throw new NotEmulatedException($"'busybox {string.Join(' ', arguments)}' is not emulated");
        return RunApplet(arguments[0], arguments.GetRange(1, arguments.Count - 1));
    }

    private int RunApplet(string applet, List<string> arguments)
    {
        if (applet is "sh" or "ash")
            return RunShellApplet(arguments);
        var run = BusyboxApplets.Find(applet) ?? throw new NotEmulatedException($"'{applet}' is not emulated");
        return run(Context(applet, arguments));
    }

    private AppletContext Context(string name, List<string> arguments) => new()
    {
        Name = name,
        Arguments = arguments,
        Host = _host,
        WorkingDirectory = _state.WorkingDirectory,
        Umask = _state.Umask,
        Input = _state.Input(),
        Output = _state.Output(1),
        Error = _state.Output(2),
        Environment = _state.Environment(),
    };

    /// <summary>A small file starting with a `#!` line naming busybox's shell: its text, else null.</summary>
    private string? ShellScript(string real)
    {
        if (_host.Files[real] is not { Source: { } source } || source is PackageEntrySource { Entry.Size: > 1 << 20 })
            return null;
        var text = ShellText.Decode(_host.Files.Read(real));
        return IsBusyboxShell(_host.Files, text) ? text : null;
    }

    /// <summary>
    /// Whether a script's `#!` line runs busybox's shell in this root (`#!/bin/sh`, `#!/bin/ash`, `#!/bin/busybox sh`):
    /// the only interpreter emulated.
    /// </summary>
    public static bool IsBusyboxShell(RootFiles files, string script)
    {
        if (!script.StartsWith("#!", StringComparison.Ordinal))
            return false;
        var line = script[2..(script.IndexOf('\n') is var end and >= 0 ? end : script.Length)];
        var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !words[0].StartsWith('/'))
            return false;
        var interpreter = files.Real("/", words[0]);
        if (files[interpreter] is not { Kind: NodeKind.File } || RootFiles.Name(interpreter) != "busybox")
            return false;
        var shell = words.Length == 1 ? RootFiles.Name(words[0]) : words.Length == 2 && RootFiles.Name(words[0]) == "busybox" ? words[1] : null;
        return shell is "sh" or "ash";
    }

    /// <summary>Runs a shell script file of the root as a new shell: its own variables (the exported ones), functions and options.</summary>
    private int RunScriptFile(string text, string name, List<string> arguments)
    {
        var invocation = new ShellInvocation(name, arguments, _state.Environment());
        var state = ShellState.Start(invocation, _state.Input(), _state.Output(1), _state.Output(2));
        state.WorkingDirectory = _state.WorkingDirectory;
        state.Umask = _state.Umask;
        var shell = new ShellInterpreter(_host, state) { _calls = CallDepth() };
        var parsed = ShellParser.Parse(text);
        try
        {
            foreach (var line in parsed.Lines)
                shell.Execute(line);
            if (parsed.Error is { } error)
            {
                ThrowIfNotEmulated(error);
                shell.Diagnostic($"line {error.Line}: {error.Message}");
                return 2;
            }
            return state.LastStatus;
        }
        catch (ShellExit exit)
        {
            return exit.Status;
        }
        catch (FunctionReturn returned)
        {
            return returned.Status;
        }
    }

    /// <summary>`sh -c 'COMMANDS' [NAME ARGS...]` or `sh SCRIPT ARGS...`.</summary>
    private int RunShellApplet(List<string> arguments)
    {
        if (arguments is ["-c", var commands, .. var rest])
            return RunScriptFile(commands, rest.Count > 0 ? rest[0] : "sh", rest.Skip(1).ToList());
        if (arguments is [var path, ..] && !path.StartsWith('-'))
        {
            var real = _host.Files.Real(_state.WorkingDirectory, path);
            if (_host.Files[real] is not { Kind: NodeKind.File })
            {
                Diagnostic($"can't open '{path}': No such file or directory");
                return 2;
            }
            return RunScriptFile(ShellText.Decode(_host.Files.Read(real)), path, arguments.GetRange(1, arguments.Count - 1));
        }
        throw new NotEmulatedException($"'sh {string.Join(' ', arguments)}' is not emulated");
    }
}
