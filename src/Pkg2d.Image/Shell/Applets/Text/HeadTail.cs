using System.Globalization;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's head and tail: -n/-c counts with suffixes `b` `k` `m`, the legacy first argument `-N`
/// (tail also `+N`), head's `-n -N`/`-c -N` (all but the last N), tail's `-n +N`/`-c +N` (from the Nth), headers
/// `==> NAME &lt;==` with several files (-q, -v). tail -f/-F/-s are not emulated.
/// </summary>
internal static class HeadTail
{
    private const string HeaderFormat = "\n==> {0} <==\n";

    public static int Head(AppletContext context)
    {
        var arguments = context.Arguments.ToList();
        // A legacy first argument -N is -n N.
        if (arguments.Count > 0 && arguments[0].Length > 1 && arguments[0][0] == '-' && char.IsAsciiDigit(arguments[0][1]))
            arguments = ["-n", arguments[0][1..], .. arguments.Skip(1)];
        var options = AppletOptions.Parse(context.Name, arguments, "n:c:qv");
        // -c makes the count bytes, whichever of -c and -n gave it (the last one does).
        var text = LastOf(arguments, "nc") == 'c' ? options.Value('c')! : options.Value('n') ?? "10";
        var butLast = text.StartsWith('-');
        if (Count(butLast ? text[1..] : text) is not { } count)
            return context.Fail($"invalid number '{(butLast ? text[1..] : text)}'");
        var headers = LastOf(arguments, "qv") switch { 'q' => false, 'v' => true, _ => (bool?)null };
        return EachFile(context, options.Operands, headers, content => Head(content, count, options.Has('c'), butLast));
    }

    public static int Tail(AppletContext context)
    {
        var arguments = context.Arguments.ToList();
        var counts = new List<string>();
        if (arguments.Count > 0 && arguments[0].Length > 1 && arguments[0][0] is '-' or '+' && char.IsAsciiDigit(arguments[0][1]))
        {
            counts.Add(arguments[0]);
            arguments.RemoveAt(0);
        }
        var options = AppletOptions.Parse(context.Name, arguments, "fFs:qvn:c:");
        foreach (var follow in "fFs")
        {
            if (options.Has(follow))
                throw context.NotEmulated("-" + follow);
        }
        // eat_num on -c, then on -n: the last count read wins, a `+` anywhere counts from the top.
        counts.AddRange(new[] { options.Value('c'), options.Value('n') }.OfType<string>());
        var fromTop = false;
        long count = 10;
        foreach (var text in counts)
        {
            var digits = text.Length > 0 && text[0] is '-' or '+' ? text[1..] : text;
            fromTop |= text.StartsWith('+');
            if (Count(digits) is not { } n)
                return context.Fail($"invalid number '{digits}'");
            count = n;
        }
        var headers = options.Has('v') ? true : options.Has('q') ? false : (bool?)null;
        return EachFile(context, options.Operands, headers, content => Tail(content, count, options.Has('c'), fromTop), tailOpening: true);
    }

    /// <summary>
    /// Runs <paramref name="cut"/> on each operand with headers as the applet prints them. head prints a header per
    /// operand (a failed one still counts as first); tail opens every file first and heads only those that opened.
    /// </summary>
    private static int EachFile(AppletContext context, List<string> operands, bool? headers, Func<byte[], byte[]> cut, bool tailOpening = false)
    {
        operands = operands.Count > 0 ? operands : ["-"];
        var status = 0;
        var opened = new List<(string Name, OpenedFile File)>();
        foreach (var operand in operands)
        {
            var file = TextFiles.Open(context, operand);
            if (tailOpening && file.Content is null && !file.IsDirectoryOperand)
            {
                status = context.Fail($"can't open '{operand}': {file.Error}");
                continue;
            }
            opened.Add((operand, file));
        }
        if (tailOpening && opened.Count == 0)
        {
            context.Fail("no files");
            return 1;
        }
        headers ??= (tailOpening ? opened.Count : operands.Count) > 1;
        var first = true;
        foreach (var (name, file) in opened)
        {
            if (file.Content is null && !file.IsDirectoryOperand)
            {
                status = context.Fail($"{name}: {file.Error}");
                first = false;
                continue;
            }
            if (headers.Value)
                context.Output.Write(string.Format(CultureInfo.InvariantCulture, first ? HeaderFormat[1..] : HeaderFormat, name == "-" && !tailOpening ? "standard input" : name));
            first = false;
            if (file.Content is not { } content)
            {
                status = context.Fail(tailOpening ? "read error: Is a directory" : $"{name}: I/O error");
                continue;
            }
            context.Output.Write(cut(content));
        }
        return status;
    }

    private static byte[] Head(byte[] content, long count, bool bytes, bool butLast)
    {
        if (bytes)
            return butLast ? content[..(int)Math.Max(0, content.Length - count)] : content[..(int)Math.Min(content.Length, count)];
        var ends = LineEnds(content);
        var keep = butLast ? Math.Max(0, ends.Count - count) : Math.Min(ends.Count, count);
        return keep == 0 ? [] : content[..ends[(int)keep - 1]];
    }

    private static byte[] Tail(byte[] content, long count, bool bytes, bool fromTop)
    {
        if (bytes)
        {
            var start = fromTop ? Math.Max(count, 1) - 1 : content.Length - count;
            return content[(int)Math.Clamp(start, 0, content.Length)..];
        }
        var ends = LineEnds(content);
        var first = fromTop ? Math.Max(count, 1) - 1 : ends.Count - count;
        return first <= 0 ? content : first >= ends.Count ? [] : content[ends[(int)first - 1]..];
    }

    /// <summary>Where each line ends (after its newline; a last line without one ends the content).</summary>
    private static List<int> LineEnds(byte[] content)
    {
        var ends = new List<int>();
        for (var i = 0; i < content.Length; i++)
        {
            if (content[i] == '\n')
                ends.Add(i + 1);
        }
        if (content.Length > 0 && content[^1] != '\n')
            ends.Add(content.Length);
        return ends;
    }

    /// <summary>xatoul_sfx with head's and tail's suffixes: b (512), k (1024), m (1024²).</summary>
    private static long? Count(string text)
    {
        var multiplier = 1L;
        if (text.Length > 0 && text[^1] is 'b' or 'k' or 'm')
        {
            multiplier = text[^1] switch { 'b' => 512, 'k' => 1024, _ => 1024 * 1024 };
            text = text[..^1];
        }
        if (text.Length == 0 || !text.All(char.IsAsciiDigit) || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return null;
        return n > int.MaxValue / multiplier ? throw new NotEmulatedException($"a count of {text} is not emulated") : n * multiplier;
    }

    /// <summary>Which of <paramref name="flags"/> came last on the command line (getopt keeps them all; the applet uses the last).</summary>
    private static char? LastOf(List<string> arguments, string flags)
    {
        char? last = null;
        for (var i = 0; i < arguments.Count && arguments[i] != "--"; i++)
        {
            if (arguments[i].Length < 2 || arguments[i][0] != '-')
                continue;
            for (var j = 1; j < arguments[i].Length; j++)
            {
                var c = arguments[i][j];
                if (flags.Contains(c))
                    last = c;
                if (c is 'n' or 'c' or 's')
                {
                    if (j == arguments[i].Length - 1)
                        i++;
                    break;
                }
            }
        }
        return last;
    }
}
