using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's cut (built without -F): -b and -c (both bytes), -f with -d (its first character; `\n` cuts
/// lines), -s, -D, -O, -n ignored. Lists are `N`, `N-`, `-M`, `N-M`, comma separated, sorted unless -D; the field
/// loop is busybox's own, with its way of printing fields past the last one (`-f1,5` of `a:b:c` is `a:`).
/// </summary>
internal static class Cut
{
    private sealed record Range(int Start, int End);

    public static int Run(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "b:c:f:d:O:sDn");
        var kinds = "bcf".Where(options.Has).ToList();
        if (kinds.Count == 0)
            return context.Fail("expected a list of bytes, characters, or fields");
        // -b, -c and -f exclude each other, and themselves given twice.
        if ("bcf".Sum(k => options.Values(k).Count()) > 1)
            return TextApplets.Usage(context, "[OPTIONS] [FILE]...");
        var fields = kinds[0] == 'f';
        var delimiter = options.Value('d') is { Length: > 0 } d ? d : "\t";
        var outputDelimiter = options.Value('O') ?? delimiter;
        if (!fields && options.Has('s'))
            return context.Fail("suppressing non-delimited lines makes sense only when operating on fields");
        if (!fields && options.Has('d'))
            return context.Fail("a delimiter may be specified only when operating on fields");

        var ranges = new List<Range>();
        foreach (var token in options.Value(kinds[0])!.Split(','))
        {
            if (token.Length == 0)
                continue;
            var dash = token.IndexOf('-');
            var (first, rest) = dash < 0 ? (token, null) : (token[..dash], token[(dash + 1)..]);
            int start;
            if (first.Length == 0)
            {
                start = 0;
            }
            else
            {
                if (Positive(first) is not { } n)
                    return context.Fail($"invalid number '{first}'");
                start = n == 0 ? 0 : n - 1;
            }
            int end;
            if (rest is null)
            {
                end = start;
            }
            else if (rest.Length == 0)
            {
                end = int.MaxValue;
            }
            else
            {
                if (Positive(rest) is not { } n)
                    return context.Fail($"invalid number '{rest}'");
                if (n < start)
                    return context.Fail($"{n}<{start}");
                end = n - 1;
            }
            ranges.Add(new Range(start, end));
        }
        if (ranges.Count == 0)
            return context.Fail("missing list of positions");
        if (!options.Has('D'))
            MuslQsort.Sort(ranges, (x, y) => x.Start - y.Start);

        var output = new StringBuilder();
        var status = 0;
        foreach (var operand in options.Operands.Count > 0 ? options.Operands : ["-"])
        {
            var file = TextFiles.Open(context, operand);
            if (file.Content is not { } content)
            {
                if (!file.IsDirectoryOperand)
                    status = context.Fail($"{operand}: {file.Error}");
                continue;
            }
            if (content.Contains((byte)0))
                throw context.NotEmulated("on a file with NUL bytes");
            var lineNumber = 0;
            foreach (var line in TextFiles.Lines(content))
            {
                if (!fields)
                    CutBytes(line, ranges, output);
                else if (delimiter[0] == '\n')
                    CutLine(line, lineNumber, ranges, output);
                else
                    CutFields(line, delimiter[0], outputDelimiter, ranges, options.Has('s'), options.Has('D'), output);
                lineNumber++;
            }
        }
        context.Output.Write(output.ToString());
        return status;
    }

    /// <summary>xatoi_positive: decimal digits only.</summary>
    private static int? Positive(string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && int.TryParse(text, out var n) ? n : null;

    private static void CutBytes(string line, List<Range> ranges, StringBuilder output)
    {
        var printed = new bool[line.Length];
        foreach (var range in ranges)
        {
            for (var position = range.Start; position < line.Length;)
            {
                if (!printed[position])
                {
                    printed[position] = true;
                    output.Append(line[position]);
                }
                if (++position > range.End)
                    break;
            }
        }
        output.Append('\n');
    }

    /// <summary>-d '\n': the lines the ranges name, each printed once.</summary>
    private static void CutLine(string line, int lineNumber, List<Range> ranges, StringBuilder output)
    {
        var index = 0;
        var position = ranges[index].Start;
        if (lineNumber < position)
            return;
        while (position < lineNumber)
        {
            position++;
            if (position > ranges[index].End)
            {
                if (++index >= ranges.Count)
                    return;
                position = ranges[index].Start;
                if (lineNumber < position)
                    return;
            }
        }
        output.Append(line).Append('\n');
    }

    /// <summary>busybox's field loop, step for step.</summary>
    private static void CutFields(string line, char delimiter, string outputDelimiter, List<Range> ranges, bool suppress, bool noSort, StringBuilder output)
    {
        var length = line.Length;
        var (uu, start, end, printed, dcount, index) = (0, 0, 0, 0, 0, 0);
        while (true)
        {
            if (end == length || dcount > ranges[index].End)
            {
                if (++index >= ranges.Count)
                    break;
                if (noSort)
                    (start, dcount, uu) = (0, 0, 0);
                end = 0;
            }
            if (uu == length)
            {
                if (index == 0 && dcount == 0)
                {
                    if (suppress)
                        return;
                }
                else if (dcount < ranges[index].Start)
                {
                    start = length;
                }
                end = length;
            }
            else
            {
                end = uu++;
                if (line[end] != delimiter)
                    continue;
                if (dcount++ < ranges[index].Start)
                {
                    start = uu;
                    continue;
                }
            }
            if (printed++ > 0)
                output.Append(outputDelimiter);
            // printf's "%.*s" with a negative precision prints the whole rest.
            output.Append(line, start, end >= start ? end - start : length - start);
            start = uu;
            if (dcount == 0)
                break;
        }
        output.Append('\n');
    }
}
