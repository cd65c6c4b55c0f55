namespace Pkg2d.Image.Scripts;

/// <summary>Turns one simple command's words into a <see cref="ScriptCommand"/>, the way busybox 1.36's applets read them.</summary>
internal static class AppletParser
{
    /// <summary>busybox's CONFIG_LAST_ID on Alpine: `-g`/`-u` take 0..256000.</summary>
    private const int LastId = 256000;

    private const int DirectoryMode = 0b111_101_101; // 0755: mkdir's 0777 under umask 022, install's default
    private const int MkdirBase = 0b111_111_111; // symbolic mkdir -m is relative to 0777

    private static readonly string[] BinDirectories = ["/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/"];

    private static readonly Dictionary<string, char> AddGroupLong = new() { ["gid"] = 'g', ["system"] = 'S' };

    private static readonly Dictionary<string, char> AddUserLong = new()
    {
        ["home"] = 'h', ["gecos"] = 'g', ["shell"] = 's', ["ingroup"] = 'G', ["disabled-password"] = 'D',
        ["empty-password"] = 'D', ["system"] = 'S', ["no-create-home"] = 'H', ["uid"] = 'u', ["skel"] = 'k',
    };

    private static readonly Dictionary<string, char> MkdirLong = new() { ["mode"] = 'm', ["parents"] = 'p' };

    /// <summary>The command the words run; `exit 0` is <see cref="ExitScript"/>.</summary>
    public static ScriptCommand Build(List<ShellToken> words)
    {
        var line = words[0].Line;
        var name = words[0].Text;
        var arguments = words.Skip(1).Select(w => w.Text).ToList();
        if (name is "busybox" or "/bin/busybox")
        {
            if (arguments.Count == 0)
                throw NotEmulated("'busybox' without an applet", line);
            if (arguments[0] == "--install")
                return BusyboxInstall(arguments, line);
            name = arguments[0];
            arguments.RemoveAt(0);
        }
        var applet = AppletName(name, line);
        return applet switch
        {
            ":" or "true" or "echo" => new NoOp(),
            "printf" => Printf(arguments, line),
            "exit" => Exit(arguments, line),
            "addgroup" => AddGroup(arguments, line),
            "adduser" => AddUser(arguments, line),
            "mkdir" => Mkdir(arguments, line),
            "install" => Install(arguments, line),
            "chown" => Chown(arguments, line),
            "chgrp" => Chgrp(arguments, line),
            "chmod" => Chmod(arguments, line),
            "ln" => Ln(arguments, line),
            "touch" => Touch(arguments, line),
            _ => throw NotEmulated($"'{applet}'", line),
        };
    }

    /// <summary>
    /// The test a `[ ... ]` or `test ...` command makes (`-h` is read as `-L`), or null when the words are some
    /// other command. Only a path test, possibly negated, is emulated.
    /// </summary>
    public static PathTest? Test(List<ShellToken> words)
    {
        var line = words[0].Line;
        var text = string.Join(' ', words.Select(w => w.Text));
        List<string> arguments;
        switch (words[0].Text)
        {
            case "[" when words[^1].Text == "]" && words.Count > 1:
                arguments = [.. words[1..^1].Select(w => w.Text)];
                break;
            case "[":
                throw NotEmulated("'[' without ']'", line);
            case "test":
                arguments = [.. words.Skip(1).Select(w => w.Text)];
                break;
            default:
                return null;
        }
        var negated = arguments is ["!", _, _];
        if (arguments[(negated ? 1 : 0)..] is not [[ '-', var op ], var path] || !"efdLhx".Contains(op))
            throw NotEmulated($"'{text}'", line);
        // A trailing `/` makes the kernel follow a last symlink and want a directory: not what the path without it names.
        return path.EndsWith('/') && path.Trim('/').Length > 0
            ? throw NotEmulated($"a tested path ending in '/' ('{path}')", line)
            : new PathTest(op == 'h' ? 'L' : op, NormalizePath(path, line), negated);
    }

    /// <summary>
    /// Paths as written, with `//` and `.` components collapsed and a trailing `/` dropped. apk runs scripts with
    /// the root as the working directory, so a relative path is taken from `/`.
    /// </summary>
    public static string NormalizePath(string path, int line)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
        return path.Length > 0 ? "/" + string.Join('/', parts) : throw NotEmulated("an empty path", line);
    }

    // `/bin/mkdir` is the applet mkdir; any other path is some program we do not know.
    private static string AppletName(string name, int line)
    {
        if (!name.StartsWith('/'))
            return name;
        var directory = BinDirectories.FirstOrDefault(d => name.StartsWith(d, StringComparison.Ordinal) && !name[d.Length..].Contains('/'));
        return directory is null ? throw NotEmulated($"'{name}'", line) : name[directory.Length..];
    }

    private static BusyboxInstall BusyboxInstall(List<string> arguments, int line) =>
        arguments is ["--install", "-s"] ? new BusyboxInstall() : throw NotEmulated($"'busybox {string.Join(' ', arguments)}'", line);

    // A numeric conversion fails (status 1) on an argument that is not a number; %s, %b and %% cannot.
    private static NoOp Printf(List<string> arguments, int line)
    {
        var format = arguments.Count > 0 ? arguments[0] : throw NotEmulated("'printf' without a format", line);
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] == '%' && (++i == format.Length || format[i] is not ('s' or 'b' or '%')))
                throw NotEmulated($"'printf {string.Join(' ', arguments)}'", line);
        }
        return new NoOp();
    }

    private static ExitScript Exit(List<string> arguments, int line) => arguments switch
    {
        ["0"] => new ExitScript(),
        [] => throw NotEmulated("'exit' without a status", line),
        _ => throw NotEmulated($"'exit {string.Join(' ', arguments)}'", line),
    };

    private static AccountCommand AddGroup(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("addgroup", arguments, "g:S", line, AddGroupLong);
        return options.Operands switch
        {
            [var group] => new AddGroup(group, options.Has('g') ? Id(options.Value('g')!, line) : null, options.Has('S')),
            // busybox refuses `-g` with a member to add (it prints its usage).
            [var user, var group] when !options.Has('g') => new AddToGroup(user, group),
            _ => throw NotEmulated($"'addgroup {string.Join(' ', arguments)}'", line),
        };
    }

    private static AccountCommand AddUser(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("adduser", arguments, "h:g:s:G:DSHu:k:", line, AddUserLong);
        var hasOptions = "hgsGDSHuk".Any(options.Has);
        switch (options.Operands)
        {
            case [var user, var group] when !hasOptions:
                return new AddToGroup(user, group);
            case [var user]:
                var system = options.Has('S');
                // Without -D (which -S implies) busybox runs `passwd` to ask for a password.
                if (!system && !options.Has('D'))
                    throw NotEmulated("'adduser' without -D", line);
                return new AddUser(user, options.Has('u') ? Id(options.Value('u')!, line) : null, options.Value('G'), options.Value('h'),
                    options.Value('g'), options.Value('s'), system, CreateHome: !options.Has('H'), options.Value('k'));
            default:
                throw NotEmulated($"'adduser {string.Join(' ', arguments)}'", line);
        }
    }

    private static MakeDirectory Mkdir(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("mkdir", arguments, "m:p", line, MkdirLong);
        var mode = options.Has('m') ? Mode(options.Value('m')!, line).Apply(MkdirBase, isDirectory: true) : DirectoryMode;
        return new MakeDirectory(Paths(options.Operands, "mkdir", line), mode, null, null, options.Has('p'), ResetExisting: false);
    }

    private static MakeDirectory Install(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("install", arguments, "dm:o:g:", line);
        if (!options.Has('d'))
            throw NotEmulated("'install' without -d", line);
        var mode = options.Has('m') ? Mode(options.Value('m')!, line).Apply(DirectoryMode, isDirectory: true) : DirectoryMode;
        return new MakeDirectory(Paths(options.Operands, "install", line), mode, options.Value('o'), options.Value('g'), Parents: true, ResetExisting: true);
    }

    // busybox looks for `.` before `:` (`user.group`); `user:` means the user's primary group.
    private static ChangeOwner Chown(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("chown", arguments, "Rh", line);
        if (options.Operands.Count < 2)
            throw NotEmulated($"'chown {string.Join(' ', arguments)}'", line);
        var spec = options.Operands[0];
        var separator = spec.IndexOf('.') is var dot and >= 0 ? dot : spec.IndexOf(':');
        var (owner, group) = separator < 0 ? (spec, null) : (spec[..separator], spec[(separator + 1)..]);
        var loginGroup = separator > 0 && group == "";
        if (owner == "" && separator != 0 || group == "" && !loginGroup)
            throw NotEmulated($"owner '{spec}'", line);
        return new ChangeOwner(Paths(options.Operands.Skip(1), "chown", line), owner == "" ? null : owner, loginGroup ? null : group,
            loginGroup, options.Has('R'), options.Has('h'));
    }

    private static ChangeOwner Chgrp(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("chgrp", arguments, "Rh", line);
        if (options.Operands.Count < 2 || options.Operands[0] == "")
            throw NotEmulated($"'chgrp {string.Join(' ', arguments)}'", line);
        return new ChangeOwner(Paths(options.Operands.Skip(1), "chgrp", line), null, options.Operands[0], false, options.Has('R'), options.Has('h'));
    }

    // chmod keeps `-w`, `-x`... as its mode operand rather than options.
    private static ChangeMode Chmod(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("chmod", arguments, "R", line,
            isOperand: a => a.Length > 1 && a.Skip(1).All(c => "rwxXst".Contains(c)));
        if (options.Operands.Count < 2)
            throw NotEmulated($"'chmod {string.Join(' ', arguments)}'", line);
        return new ChangeMode(Paths(options.Operands.Skip(1), "chmod", line), Mode(options.Operands[0], line), options.Has('R'));
    }

    private static Symlink Ln(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("ln", arguments, "sfn", line);
        if (!options.Has('s'))
            throw NotEmulated("a hard link", line);
        if (options.Operands is not [var target, var path])
            throw NotEmulated($"'ln {string.Join(' ', arguments)}'", line);
        return new Symlink(target, NormalizePath(path, line), options.Has('f'), options.Has('n'));
    }

    private static Touch Touch(List<string> arguments, int line)
    {
        var options = AppletOptions.Parse("touch", arguments, "", line);
        return new Touch(Paths(options.Operands, "touch", line));
    }

    private static ModeSpec Mode(string text, int line) =>
        ModeSpec.TryParse(text) ?? throw NotEmulated($"invalid mode '{text}'", line);

    private static int Id(string text, int line) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, out var id) && id <= LastId
            ? (int)id
            : throw NotEmulated($"invalid id '{text}'", line);

    private static PathList Paths(IEnumerable<string> operands, string applet, int line)
    {
        var paths = operands.Select(p => NormalizePath(p, line)).ToList();
        return paths.Count > 0 ? new PathList(paths) : throw NotEmulated($"'{applet}' without a path", line);
    }


    private static NotEmulatedException NotEmulated(string construct, int line) => new($"{construct} is not emulated", line);
}
