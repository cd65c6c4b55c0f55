using System.Globalization;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

// ash's builtins. Special builtins keep their assignments and end the shell on errors; the others do not.
public sealed partial class ShellInterpreter
{
    private static readonly HashSet<string> SpecialBuiltins =
        [":", ".", "source", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set", "shift", "times", "trap", "unset", "local"];

    private static bool IsSpecialBuiltin(string name) => SpecialBuiltins.Contains(name);

    // The EXIT trap's commands, run when the shell ends.
    private string? _exitTrap;

    private int RunSpecialBuiltin(string name, List<string> arguments) => name switch
    {
        ":" => 0,
        "." or "source" => Source(arguments),
        "break" or "continue" => Jump(name == "break", arguments),
        "eval" => Eval(arguments),
        "exec" => throw new ShellExit(RunCommand(arguments[0], arguments.GetRange(1, arguments.Count - 1))),
        "exit" => throw new ShellExit(arguments.Count > 0 ? Status(arguments[0]) : _state.LastStatus),
        "return" => throw new FunctionReturn(arguments.Count > 0 ? Status(arguments[0]) : _state.LastStatus),
        "export" or "readonly" => Export(arguments, name == "readonly"),
        "set" => Set(arguments),
        "shift" => Shift(arguments),
        "trap" => Trap(arguments),
        "unset" => Unset(arguments),
        "local" => Local(arguments),
        _ => throw new NotEmulatedException($"'{name}' is not emulated"),
    };

    /// <summary>Runs a regular builtin; null when <paramref name="name"/> is not one.</summary>
    private int? RunBuiltin(string name, List<string> arguments) => name switch
    {
        "echo" => EchoCommand.Run(arguments, _state.Output(1)),
        "printf" => PrintfCommand.Run(arguments, _state.Output(1), _state.Output(2)),
        "test" or "[" or "[[" => TestCommand.Run(name, arguments, _host.Files, _state.WorkingDirectory, _state.Output(2)),
        "true" => 0,
        "false" => 1,
        "cd" or "chdir" => ChangeDirectory(arguments),
        "pwd" => Print(_state.WorkingDirectory),
        "read" => Read(arguments),
        "command" => CommandBuiltin(arguments),
        "type" => Type(arguments),
        "umask" => Umask(arguments),
        "wait" or "hash" => 0,
        "getopts" or "kill" or "ulimit" or "alias" or "unalias" or "let" or "jobs" or "fg" or "bg" or "times" =>
            throw new NotEmulatedException($"the builtin '{name}' is not emulated"),
        _ => null,
    };

    private int Print(string line)
    {
        _state.Output(1).Write(line + "\n");
        return 0;
    }

    private int Status(string text)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var status))
            Fatal($"Illegal number: {text}");
        return status & 0xFF;
    }

    private int Jump(bool isBreak, List<string> arguments)
    {
        var levels = arguments.Count > 0 ? Status(arguments[0]) : 1;
        if (_loops == 0)
            return 0;
        throw new LoopControl(isBreak, Math.Min(Math.Max(levels, 1), _loops));
    }

    private int Eval(List<string> arguments)
    {
        var text = string.Join(' ', arguments);
        if (text.Trim().Length == 0)
            return 0;
        CommandList parsed;
        try
        {
            parsed = ShellParser.ParseAll(text);
        }
        catch (ShellSyntaxException error)
        {
            ThrowIfNotEmulated(error);
            Fatal($"eval: {error.Message}");
            return 2;
        }
        EnterCall();
        try
        {
            return ExecuteList(parsed);
        }
        finally
        {
            _calls--;
        }
    }

    /// <summary>`. FILE [ARGS]`: runs a script of the root in this shell (found through PATH when it has no slash).</summary>
    private int Source(List<string> arguments)
    {
        if (arguments.Count == 0)
            return 0;
        var path = arguments[0];
        var real = path.Contains('/') ? _host.Files.Real(_state.WorkingDirectory, path) : SearchPath(path, n => n is { Kind: NodeKind.File })?.Real;
        if (real is null || _host.Files[real] is not { Kind: NodeKind.File })
        {
            Fatal($".: can't open '{path}'");
            return 2;
        }
        var parsed = ShellParser.Parse(ShellText.Decode(_host.Files.Read(real)));
        var positional = _state.Positional;
        EnterCall();
        if (arguments.Count > 1)
            _state.Positional = [.. arguments.Skip(1)];
        try
        {
            var status = 0;
            foreach (var line in parsed.Lines)
                status = Execute(line);
            if (parsed.Error is { } error)
            {
                ThrowIfNotEmulated(error);
                Fatal($"{path}: line {error.Line}: {error.Message}");
            }
            return status;
        }
        catch (FunctionReturn returned) when (_functions == 0)
        {
            return returned.Status;
        }
        finally
        {
            _calls--;
            if (arguments.Count > 1)
                _state.Positional = positional;
        }
    }

    private int Export(List<string> arguments, bool readOnly)
    {
        if (arguments.Count == 0 || arguments[0] == "-p")
            throw new NotEmulatedException($"listing variables ('{(readOnly ? "readonly" : "export")}') is not emulated");
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=');
            var name = equals < 0 ? argument : argument[..equals];
            if (!ShellParser.IsName(name))
                Fatal($"{(readOnly ? "readonly" : "export")}: {name}: bad variable name");
            if (equals >= 0)
                AssignChecked(name, argument[(equals + 1)..]);
            (readOnly ? _state.ReadOnly : _state.Exported).Add(name);
        }
        return 0;
    }

    private int Set(List<string> arguments)
    {
        if (arguments.Count == 0)
            throw new NotEmulatedException("listing variables ('set') is not emulated");
        var i = 0;
        for (; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument == "--")
            {
                i++;
                _state.Positional = [.. arguments.Skip(i)];
                return 0;
            }
            if (argument.Length < 2 || argument[0] is not ('-' or '+'))
                break;
            var on = argument[0] == '-';
            if (argument[1..] == "o")
            {
                var option = i + 1 < arguments.Count ? arguments[++i] : throw new NotEmulatedException("'set -o' without a name is not emulated");
                SetOption(option switch { "errexit" => 'e', "nounset" => 'u', "noglob" => 'f', "xtrace" => 'x', "verbose" => 'v', _ => '?' }, on, option);
                continue;
            }
            foreach (var letter in argument[1..])
                SetOption(letter, on, letter.ToString());
        }
        if (i < arguments.Count)
            _state.Positional = [.. arguments.Skip(i)];
        return 0;
    }

    private void SetOption(char letter, bool on, string name)
    {
        switch (letter)
        {
            case 'e':
                _state.ErrExit = on;
                break;
            case 'u':
                _state.NoUnset = on;
                break;
            case 'f':
                _state.NoGlob = on;
                break;
            case 'x' or 'v':
                // Tracing only writes to standard error, which goes to apk's log.
                break;
            default:
                throw new NotEmulatedException($"'set {(on ? '-' : '+')}{name}' is not emulated");
        }
    }

    private int Shift(List<string> arguments)
    {
        var count = arguments.Count > 0 ? Status(arguments[0]) : 1;
        if (count > _state.Positional.Length)
            return 1;
        _state.Positional = _state.Positional[count..];
        return 0;
    }

    private int Trap(List<string> arguments)
    {
        if (arguments.Count < 2)
            throw new NotEmulatedException($"'trap {string.Join(' ', arguments)}' is not emulated");
        var action = arguments[0];
        foreach (var signal in arguments.Skip(1))
        {
            // Install scripts run to their end undisturbed: only the EXIT trap ever runs.
            if (signal is "EXIT" or "0")
                _exitTrap = action is "-" or "" ? null : action;
            else if (!int.TryParse(signal, out _) && !KnownSignals.Contains(signal.StartsWith("SIG", StringComparison.Ordinal) ? signal[3..] : signal))
                throw new NotEmulatedException($"'trap' on '{signal}' is not emulated");
        }
        return 0;
    }

    private static readonly HashSet<string> KnownSignals = ["HUP", "INT", "QUIT", "TERM", "PIPE", "ALRM", "USR1", "USR2", "CHLD"];

    /// <summary>Runs the EXIT trap, if any, once; its own `exit` decides the status.</summary>
    private int RunExitTrap(int status)
    {
        if (_exitTrap is not { } trap)
            return status;
        _exitTrap = null;
        _state.LastStatus = status;
        try
        {
            Eval([trap]);
            return status;
        }
        catch (ShellExit exit)
        {
            return exit.Status;
        }
    }

    private int Unset(List<string> arguments)
    {
        var functions = false;
        foreach (var argument in arguments)
        {
            if (argument is "-f" or "-v")
            {
                functions = argument == "-f";
                continue;
            }
            if (functions)
            {
                _state.Functions.Remove(argument);
                continue;
            }
            if (_state.ReadOnly.Contains(argument))
                Fatal($"{argument}: is read only");
            _state.Variables.Remove(argument);
            _state.Exported.Remove(argument);
        }
        return 0;
    }

    /// <summary>`local NAME[=VALUE]...`: the function's own variable, unset unless given a value, restored on return.</summary>
    private int Local(List<string> arguments)
    {
        if (_state.Locals.Count == 0)
            Fatal($"local: line {_line}: not in a function");
        var frame = _state.Locals[^1];
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=');
            var name = equals < 0 ? argument : argument[..equals];
            if (!ShellParser.IsName(name))
                Fatal($"local: {name}: bad variable name");
            frame.TryAdd(name, _state.Variables.GetValueOrDefault(name));
            if (equals >= 0)
                AssignChecked(name, argument[(equals + 1)..]);
            else
                _state.Variables.Remove(name);
        }
        return 0;
    }

    private int ChangeDirectory(List<string> arguments)
    {
        var target = arguments.Count > 0 ? arguments[0] : _state.Variables.GetValueOrDefault("HOME") ?? "/";
        var real = _host.Files.Real(_state.WorkingDirectory, target);
        if (!_host.Files.IsDirectory(real))
        {
            Diagnostic($"cd: line {_line}: can't cd to {target}: {(_host.Files[real] is null ? "No such file or directory" : "Not a directory")}");
            return 2;
        }
        _state.WorkingDirectory = "/" + real;
        _state.Variables["OLDPWD"] = _state.Variables.GetValueOrDefault("PWD") ?? "/";
        _state.Variables["PWD"] = _state.WorkingDirectory;
        return 0;
    }

    /// <summary>`read [-r] NAME...`: one line of standard input split at IFS; status 1 at the end of input.</summary>
    private int Read(List<string> arguments)
    {
        var raw = false;
        var names = new List<string>();
        foreach (var argument in arguments)
        {
            if (argument == "-r")
                raw = true;
            else if (argument.StartsWith('-'))
                throw new NotEmulatedException($"'read {argument}' is not emulated");
            else
                names.Add(argument);
        }
        if (names.Count == 0)
            names.Add("REPLY");
        var input = _state.Input();
        var line = new System.Text.StringBuilder();
        var complete = false;
        while (input.ReadLine(out complete) is { } part)
        {
            if (!raw && part.EndsWith('\\') && complete)
            {
                line.Append(part[..^1]);
                continue;
            }
            line.Append(part);
            break;
        }
        var text = raw ? line.ToString() : RemoveBackslashes(line.ToString());
        var ifs = Ifs() ?? " \t\n";
        var values = SplitForRead(text, ifs, names.Count);
        for (var i = 0; i < names.Count; i++)
            AssignChecked(names[i], i < values.Count ? values[i] : "");
        return complete ? 0 : 1;
    }

    private static string RemoveBackslashes(string text)
    {
        var result = new System.Text.StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
                i++;
            else if (text[i] == '\\')
                continue;
            result.Append(text[i]);
        }
        return result.ToString();
    }

    /// <summary>Splits a line for `read`: the last name takes the rest of the line, without trailing IFS whitespace.</summary>
    private static List<string> SplitForRead(string text, string ifs, int count)
    {
        bool IsWhite(char c) => ifs.Contains(c) && c is ' ' or '\t' or '\n';
        var values = new List<string>();
        var at = 0;
        while (at < text.Length && IsWhite(text[at]))
            at++;
        while (values.Count < count - 1 && at < text.Length)
        {
            var end = at;
            while (end < text.Length && !ifs.Contains(text[end]))
                end++;
            values.Add(text[at..end]);
            at = end;
            while (at < text.Length && IsWhite(text[at]))
                at++;
            if (at < text.Length && ifs.Contains(text[at]) && !IsWhite(text[at]))
            {
                at++;
                while (at < text.Length && IsWhite(text[at]))
                    at++;
            }
        }
        var rest = text[Math.Min(at, text.Length)..];
        var trimmed = rest.Length;
        while (trimmed > 0 && IsWhite(rest[trimmed - 1]))
            trimmed--;
        values.Add(rest[..trimmed]);
        return values;
    }

    /// <summary>`command -v NAME` (where a name is found) and `command NAME ARGS` (skipping functions).</summary>
    private int CommandBuiltin(List<string> arguments)
    {
        // busybox's `command -v` answers for its first name only.
        if (arguments is ["-v", var name, ..])
        {
            var found = IsSpecialBuiltin(name) || _state.Functions.ContainsKey(name) || IsRegularBuiltin(name) ? name
                : name.Contains('/') ? (IsExecutable(_host.Files[_host.Files.Real(_state.WorkingDirectory, name)]) ? name : null)
                : FindInPath(name);
            return found is null ? 1 : Print(found);
        }
        if (arguments.Count == 0 || arguments[0].StartsWith('-'))
            throw new NotEmulatedException($"'command {string.Join(' ', arguments)}' is not emulated");
        var command = arguments[0];
        var rest = arguments.GetRange(1, arguments.Count - 1);
        if (IsSpecialBuiltin(command))
            return RunSpecialBuiltin(command, rest);
        return RunBuiltin(command, rest) ?? RunProgram(command, rest);
    }

    private static readonly HashSet<string> RegularBuiltins =
        ["echo", "printf", "test", "[", "[[", "true", "false", "cd", "chdir", "pwd", "read", "command", "type", "umask", "wait", "hash",
         "getopts", "kill", "ulimit", "alias", "unalias", "let", "jobs", "fg", "bg"];

    private static bool IsRegularBuiltin(string name) => RegularBuiltins.Contains(name);

    private int Type(List<string> arguments)
    {
        var status = 0;
        foreach (var name in arguments)
        {
            if (_state.Functions.ContainsKey(name))
                Print($"{name} is a function");
            else if (IsSpecialBuiltin(name))
                Print($"{name} is a special shell builtin");
            else if (IsRegularBuiltin(name))
                Print($"{name} is a shell builtin");
            else if (FindInPath(name) is { } path)
                Print($"{name} is {path}");
            else
            {
                _state.Output(1).Write($"{name}: not found\n");
                status = 127;
            }
        }
        return status;
    }

    private int Umask(List<string> arguments)
    {
        if (arguments.Count == 0)
            return Print(Convert.ToString(_state.Umask, 8).PadLeft(4, '0'));
        var mode = arguments[0];
        if (mode.Length > 0 && char.IsAsciiDigit(mode[0]))
        {
            // busybox takes an octal mode up to 0777; anything else starting with a digit is an illegal mode, which
            // fails the command (status 2) without ending the shell.
            var value = 0;
            foreach (var c in mode)
            {
                if (c is < '0' or > '7' || (value = value * 8 + (c - '0')) > 0b111_111_111)
                {
                    Diagnostic($"umask: line {_line}: illegal mode: {mode}");
                    return 2;
                }
            }
            _state.Umask = value;
            return 0;
        }
        throw new NotEmulatedException($"'umask {string.Join(' ', arguments)}' is not emulated");
    }
}
