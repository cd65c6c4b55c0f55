using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// Applets that read and write text, as busybox 1.36.1 has them: cat, sed, grep (egrep, fgrep), cut, tr, head,
/// tail, sort, uniq, wc, basename, dirname, expr, seq and tee. The small ones are here; the others have a file each.
/// </summary>
internal static class TextApplets
{
    public static IEnumerable<KeyValuePair<string, Applet>> All =>
    [
        new("cat", Cat),
        new("basename", Basename),
        new("dirname", Dirname),
        new("seq", Seq),
        new("tee", Tee),
        new("sed", Sed.Run),
        new("grep", Grep.Run),
        new("egrep", Grep.Run),
        new("fgrep", Grep.Run),
        new("cut", Cut.Run),
        new("tr", Tr.Run),
        new("head", HeadTail.Head),
        new("tail", HeadTail.Tail),
        new("sort", Sort.Run),
        new("uniq", Uniq.Run),
        new("wc", Wc.Run),
        new("expr", Expr.Run),
    ];

    /// <summary>
    /// busybox's bb_show_usage: the usage text on stderr and status 1. Only the usage line is written (scripts
    /// that get it wrong are rare, and nobody reads the rest).
    /// </summary>
    public static int Usage(AppletContext context, string usage)
    {
        context.Error.Write($"Usage: {context.Name} {usage}\n");
        return 1;
    }

    /// <summary>cat [-nb] [FILE]...: without -n/-b the files' bytes; with them, each file's lines numbered on.</summary>
    private static int Cat(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "nb");
        var operands = options.Operands.Count > 0 ? options.Operands : ["-"];
        var status = 0;
        var number = 1;
        foreach (var operand in operands)
        {
            var file = TextFiles.Open(context, operand);
            if (!options.Has('n') && !options.Has('b'))
            {
                if (file.Content is { } bytes)
                    context.Output.Write(bytes);
                else
                    status = context.Fail(file.IsDirectoryOperand ? "read error: Is a directory" : $"can't open '{operand}': {file.Error}");
                continue;
            }
            // print_numbered_lines: a directory reads as empty, a missing file is reported.
            if (file.Content is not { } content)
            {
                if (!file.IsDirectoryOperand)
                    status = context.Fail($"{operand}: {file.Error}");
                continue;
            }
            if (content.Contains((byte)0))
                throw context.NotEmulated("-n on a file with NUL bytes");
            var text = new StringBuilder();
            foreach (var line in TextFiles.Lines(content))
            {
                if (options.Has('b') && line.Length == 0)
                    text.Append('\n');
                else
                    text.Append(CultureInfo.InvariantCulture, $"{number++,6}\t{line}\n");
            }
            context.Output.Write(text.ToString());
        }
        return status;
    }

    /// <summary>basename FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...</summary>
    private static int Basename(AppletContext context)
    {
        const string usage = "FILE [SUFFIX] | -a FILE... | -s SUFFIX FILE...";
        if (LeadingOptions(context.Arguments, "as:") is not var (options, names) || names.Count == 0)
            return Usage(context, usage);
        var all = options.ContainsKey('a') || options.ContainsKey('s');
        var suffix = options.GetValueOrDefault('s');
        if (!all && names.Count > 2)
            return Usage(context, usage);
        if (!all && names.Count == 2)
            (suffix, names) = (names[1], [names[0]]);
        var output = new StringBuilder();
        foreach (var name in names)
        {
            var last = LastComponent(name);
            if (suffix is not null && last.Length > suffix.Length && last.EndsWith(suffix, StringComparison.Ordinal))
                last = last[..^suffix.Length];
            output.Append(last).Append('\n');
        }
        context.Output.Write(output.ToString());
        return 0;
    }

    /// <summary>
    /// getopt32 with a leading `+`: options only before the first operand (so `-1` there is an unknown option).
    /// Null for an unknown option or a missing value, which busybox answers with its usage.
    /// </summary>
    private static (Dictionary<char, string?> Options, List<string> Operands)? LeadingOptions(IReadOnlyList<string> arguments, string spec)
    {
        var options = new Dictionary<char, string?>();
        var i = 0;
        for (; i < arguments.Count && arguments[i].Length > 1 && arguments[i][0] == '-'; i++)
        {
            if (arguments[i] == "--")
            {
                i++;
                break;
            }
            var argument = arguments[i];
            for (var j = 1; j < argument.Length; j++)
            {
                var option = argument[j];
                var at = spec.IndexOf(option);
                if (at < 0 || option == ':')
                    return null;
                if (at + 1 < spec.Length && spec[at + 1] == ':')
                {
                    options[option] = j + 1 < argument.Length ? argument[(j + 1)..] : ++i < arguments.Count ? arguments[i] : null;
                    if (options[option] is null)
                        return null;
                    break;
                }
                options[option] = null;
            }
        }
        return (options, arguments.Skip(i).ToList());
    }

    /// <summary>bb_get_last_path_component_strip: trailing slashes go (a lone `/` stays), then the last component.</summary>
    private static string LastComponent(string path)
    {
        var stripped = path.TrimEnd('/');
        if (stripped.Length == 0)
            return path.Length == 0 ? "" : "/";
        return stripped[(stripped.LastIndexOf('/') + 1)..];
    }

    /// <summary>dirname FILENAME, as musl's dirname(3).</summary>
    private static int Dirname(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "");
        if (options.Operands.Count != 1)
            return Usage(context, "FILENAME");
        context.Output.Write(DirectoryName(options.Operands[0]) + "\n");
        return 0;
    }

    private static string DirectoryName(string path)
    {
        var i = path.Length - 1;
        if (i < 0)
            return ".";
        for (; path[i] == '/'; i--)
        {
            if (i == 0)
                return "/";
        }
        for (; path[i] != '/'; i--)
        {
            if (i == 0)
                return ".";
        }
        for (; path[i] == '/'; i--)
        {
            if (i == 0)
                return "/";
        }
        return path[..(i + 1)];
    }

    /// <summary>
    /// seq [-w] [-s SEP] [FIRST [INC]] LAST: doubles printed with as many decimals as FIRST and INC show (LAST's do
    /// not count), zero-padded to the widest argument with -w.
    /// </summary>
    private static int Seq(AppletContext context)
    {
        const string usage = "[-w] [-s SEP] [FIRST [INC]] LAST";
        if (LeadingOptions(context.Arguments, "ws:") is not var (options, numbers) || numbers.Count is < 1 or > 3)
            return Usage(context, usage);
        var values = new double[numbers.Count];
        for (var k = 0; k < numbers.Count; k++)
        {
            if (ParseDouble(numbers[k]) is not { } value)
                return Usage(context, usage);
            values[k] = value;
        }
        var (first, increment, last) = numbers.Count switch
        {
            1 => (1.0, 1.0, values[0]),
            2 => (values[0], 1.0, values[1]),
            _ => (values[0], values[1], values[2]),
        };
        var (width, decimals) = (0, 0);
        for (var k = 0; k < numbers.Count; k++)
        {
            var dot = numbers[k].IndexOf('.');
            width = Math.Max(width, dot < 0 ? numbers[k].Length : dot);
            if (k < numbers.Count - 1)
                decimals = Math.Max(decimals, dot < 0 ? 0 : numbers[k].Length - dot);
        }
        if (decimals > 0)
            decimals--;
        if (decimals > 0)
            width += decimals + 1;
        if (!options.ContainsKey('w'))
            width = 0;
        var separator = options.GetValueOrDefault('s') ?? "\n";
        var output = new StringBuilder();
        var count = 0;
        for (var v = first; increment >= 0 ? v <= last : v >= last; v = first + ++count * increment)
        {
            if (increment == 0 || count > 1_000_000)
                throw context.NotEmulated("a sequence without end");
            if (count > 0)
                output.Append(separator);
            output.Append(Format(v, width, decimals));
        }
        if (count > 0)
            output.Append('\n');
        context.Output.Write(output.ToString());
        return 0;
    }

    /// <summary>printf("%0*.*f"): zero-padded after the sign.</summary>
    private static string Format(double value, int width, int decimals)
    {
        var text = Math.Abs(value).ToString("F" + decimals, CultureInfo.InvariantCulture);
        var sign = value < 0 || (value == 0 && double.IsNegative(value)) ? "-" : "";
        return sign + text.PadLeft(Math.Max(0, width - sign.Length), '0');
    }

    /// <summary>strtod taking the whole string (leading blanks allowed); hex and exponents as C reads them.</summary>
    private static double? ParseDouble(string text)
    {
        var trimmed = text.TrimStart(' ', '\t', '\n', '\v', '\f', '\r');
        if (trimmed.Length == 0)
            return null;
        var body = trimmed.TrimStart('+', '-');
        if (trimmed.Length - body.Length > 1)
            return null;
        var negative = trimmed[0] == '-';
        if (body.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && body.Length > 2)
        {
            return long.TryParse(body[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex)
                ? negative ? -hex : hex
                : throw new NotEmulatedException($"'seq {text}' is not emulated");
        }
        if (body.Length == 0 || !(char.IsAsciiDigit(body[0]) || (body[0] == '.' && body.Length > 1 && char.IsAsciiDigit(body[1]))))
            return null;
        return double.TryParse(trimmed, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
    }

    /// <summary>tee [-ai] [FILE]...: standard input to standard output and to each file (`-` is standard output again).</summary>
    private static int Tee(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "ia");
        var append = options.Has('a');
        var data = context.Input.ReadAll();
        var status = 0;
        var targets = new List<string>();
        foreach (var operand in options.Operands)
        {
            var real = operand == "-" ? operand : TextFiles.RealOrNull(context, operand);
            // tee copies block by block to every output: an output named twice gets the blocks interleaved.
            if (operand == "-" ? data.Length > 512 : append && real is not null && targets.Contains(real))
                throw context.NotEmulated($"with '{operand}' written twice");
            if (operand == "-")
            {
                targets.Add(operand);
                continue;
            }
            if (TextFiles.CreateError(context, real) is { } error)
            {
                status = context.Fail($"{operand}: {error}");
                continue;
            }
            // fopen("w") truncates when it opens, before anything is copied.
            if (!append)
                TextFiles.Write(context, real!, [], append: false);
            if (!targets.Contains(real!))
                targets.Add(real!);
        }
        context.Output.Write(data);
        foreach (var target in targets)
        {
            if (target == "-")
                context.Output.Write(data);
            else
                TextFiles.Write(context, target, data, append: true);
        }
        return status;
    }
}
