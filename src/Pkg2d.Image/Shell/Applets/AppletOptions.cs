namespace Pkg2d.Image.Shell;

/// <summary>
/// An applet's arguments split the way busybox's getopt32 on musl splits them: short options may be combined
/// (`-SDH`, `-Sg82`), an option's value may be attached or the next argument, options may follow operands,
/// `--` ends options, the last of a repeated option wins. Long options are matched by their full name.
/// </summary>
internal sealed class AppletOptions
{
    private readonly Dictionary<char, string?> _values = [];
    private readonly List<(char Option, string? Value)> _all = [];

    private AppletOptions(List<string> operands) => Operands = operands;

    public List<string> Operands { get; }

    public bool Has(char option) => _values.ContainsKey(option);

    public string? Value(char option) => _values.GetValueOrDefault(option);

    /// <summary>Every value given to a repeatable option (`sed -e A -e B`), in order.</summary>
    public IEnumerable<string> Values(char option) => _all.Where(o => o.Option == option && o.Value is not null).Select(o => o.Value!);

    /// <summary>
    /// Splits <paramref name="arguments"/>. <paramref name="spec"/> lists the options as getopt does (`m:p`: `-m`
    /// takes a value); <paramref name="isOperand"/> keeps arguments such as chmod's `-w` as operands.
    /// </summary>
    public static AppletOptions Parse(
        AppletContext context,
        string spec,
        IReadOnlyDictionary<string, char>? longOptions = null,
        Func<string, bool>? isOperand = null) =>
        Parse(context.Name, context.Arguments, spec, longOptions, isOperand);

    public static AppletOptions Parse(
        string applet,
        IReadOnlyList<string> arguments,
        string spec,
        IReadOnlyDictionary<string, char>? longOptions = null,
        Func<string, bool>? isOperand = null)
    {
        var result = new AppletOptions([]);
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument == "--")
            {
                result.Operands.AddRange(arguments.Skip(i + 1));
                break;
            }
            if (argument.Length < 2 || argument[0] != '-' || isOperand?.Invoke(argument) == true)
            {
                result.Operands.Add(argument);
                continue;
            }
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                var (name, value) = argument.IndexOf('=') is var eq and > 0 ? (argument[2..eq], argument[(eq + 1)..]) : (argument[2..], null);
                if (longOptions is null || !longOptions.TryGetValue(name, out var option))
                    throw new NotEmulatedException($"'{applet} --{name}' is not emulated");
                if (TakesValue(spec, option) && value is null)
                    value = ++i < arguments.Count ? arguments[i] : throw Missing(applet, "--" + name);
                result.Set(option, value);
                continue;
            }
            for (var j = 1; j < argument.Length; j++)
            {
                var option = argument[j];
                if (spec.IndexOf(option) < 0 || option == ':')
                    throw new NotEmulatedException($"'{applet} -{option}' is not emulated");
                if (!TakesValue(spec, option))
                {
                    result.Set(option, null);
                    continue;
                }
                result.Set(option, j + 1 < argument.Length ? argument[(j + 1)..]
                    : ++i < arguments.Count ? arguments[i]
                    : throw Missing(applet, "-" + option));
                break;
            }
        }
        return result;
    }

    private void Set(char option, string? value)
    {
        _values[option] = value;
        _all.Add((option, value));
    }

    private static bool TakesValue(string spec, char option)
    {
        var at = spec.IndexOf(option);
        return at + 1 < spec.Length && spec[at + 1] == ':';
    }

    private static NotEmulatedException Missing(string applet, string option) =>
        new($"'{applet} {option}' without its value is not emulated");
}
