namespace Pkg2d.Image.Shell;

/// <summary>
/// How a script is started: `$0`, its arguments, the environment (apk passes only PATH, and apk 3 its own two) and
/// the working directory (apk's is `/`).
/// </summary>
public sealed record ShellInvocation(string ScriptName, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment,
    string WorkingDirectory = "/");

/// <summary>How a script ended: its exit status, or why it is pending (then nothing it did may be kept) and where.</summary>
public sealed record ShellResult(int Status, string? Pending, int Line)
{
    public bool IsPending => Pending is not null;
}

/// <summary>An open descriptor: what reading it gives, or where writing to it goes.</summary>
internal sealed record Descriptor(ShellInput? Input, ShellOutput? Output);

/// <summary>
/// Everything a subshell copies: variables and their attributes, positional parameters, functions, options, the
/// working directory, the umask and the open descriptors.
/// </summary>
internal sealed class ShellState
{
    public Dictionary<string, string> Variables { get; private init; } = new(StringComparer.Ordinal);
    public HashSet<string> Exported { get; private init; } = new(StringComparer.Ordinal);
    public HashSet<string> ReadOnly { get; private init; } = new(StringComparer.Ordinal);

    /// <summary>Per running function, the values (null: unset) its `local` names had before, restored on return.</summary>
    public List<Dictionary<string, string?>> Locals { get; private init; } = [];

    public Dictionary<string, FunctionDefinition> Functions { get; private init; } = new(StringComparer.Ordinal);
    public Dictionary<int, Descriptor> Descriptors { get; private init; } = [];

    public string[] Positional { get; set; } = [];
    public string ScriptName { get; set; } = "sh";
    public int LastStatus { get; set; }
    public bool ErrExit { get; set; }
    public bool NoUnset { get; set; }
    public bool NoGlob { get; set; }
    public string WorkingDirectory { get; set; } = "/";
    public int Umask { get; set; } = ModeSpec.ScriptUmask;

    public static ShellState Start(ShellInvocation invocation, ShellInput input, ShellOutput output, ShellOutput error)
    {
        var state = new ShellState
        {
            ScriptName = invocation.ScriptName,
            Positional = [.. invocation.Arguments],
            WorkingDirectory = invocation.WorkingDirectory,
        };
        foreach (var (name, value) in invocation.Environment)
        {
            state.Variables[name] = value;
            state.Exported.Add(name);
        }
        // What ash sets itself when it starts.
        state.Variables["IFS"] = " \t\n";
        state.Variables["PS1"] = "# ";
        state.Variables["PS2"] = "> ";
        state.Variables["PS4"] = "+ ";
        state.Variables["OPTIND"] = "1";
        state.Variables["PWD"] = invocation.WorkingDirectory;
        state.Exported.Add("PWD");
        state.Variables["SHLVL"] = "1";
        state.Exported.Add("SHLVL");
        state.Descriptors[0] = new Descriptor(input, null);
        state.Descriptors[1] = new Descriptor(null, output);
        state.Descriptors[2] = new Descriptor(null, error);
        return state;
    }

    public ShellState Clone() => new()
    {
        Variables = new(Variables, StringComparer.Ordinal),
        Exported = new(Exported, StringComparer.Ordinal),
        ReadOnly = new(ReadOnly, StringComparer.Ordinal),
        Locals = [.. Locals.Select(l => new Dictionary<string, string?>(l, StringComparer.Ordinal))],
        Functions = new(Functions, StringComparer.Ordinal),
        Descriptors = new(Descriptors),
        Positional = Positional,
        ScriptName = ScriptName,
        LastStatus = LastStatus,
        ErrExit = ErrExit,
        NoUnset = NoUnset,
        NoGlob = NoGlob,
        WorkingDirectory = WorkingDirectory,
        Umask = Umask,
    };

    /// <summary>The exported variables, as a command started now sees them.</summary>
    public Dictionary<string, string> Environment() =>
        Exported.Where(Variables.ContainsKey).ToDictionary(n => n, n => Variables[n], StringComparer.Ordinal);

    public ShellInput Input(int descriptor = 0) => Descriptors.GetValueOrDefault(descriptor)?.Input ?? ShellInput.Empty;

    public ShellOutput Output(int descriptor) => Descriptors.GetValueOrDefault(descriptor)?.Output ?? ShellOutput.Null;
}
