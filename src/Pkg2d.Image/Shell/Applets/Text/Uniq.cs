using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's uniq [-cdui] [-f N] [-s N] [-w N] [INPUT [OUTPUT]]: adjacent lines compared after skipping N
/// fields (blanks then non-blanks) and N characters, on at most N characters; the first line of each run is
/// printed (`%7lu ` before it with -c). OUTPUT is created (truncated) after INPUT is opened, so naming the same
/// file twice empties it. -z is not emulated.
/// </summary>
internal static class Uniq
{
    public static int Run(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "cduf:s:w:iz");
        if (options.Has('z'))
            throw context.NotEmulated("-z");
        var numbers = new Dictionary<char, int> { ['f'] = 0, ['s'] = 0, ['w'] = int.MaxValue };
        foreach (var option in "fsw")
        {
            if (options.Value(option) is not { } text)
                continue;
            if (text.Length == 0 || !text.All(char.IsAsciiDigit) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return context.Fail($"invalid number '{text}'");
            numbers[option] = n;
        }
        var operands = options.Operands;
        if (operands.Count > 2)
            return TextApplets.Usage(context, "[-cduiz] [-f,s,w N] [FILE [OUTFILE]]");

        var input = operands.Count > 0 ? operands[0] : "-";
        var file = TextFiles.Open(context, input);
        if (file.Content is null && !file.IsDirectoryOperand)
            return context.Fail($"can't open '{input}': {file.Error}");
        var content = file.Content ?? [];
        string? outputReal = null;
        if (operands.Count == 2 && operands[1] != "-")
        {
            var real = TextFiles.RealOrNull(context, operands[1]);
            if (TextFiles.CreateError(context, real) is { } error)
                return context.Fail($"can't open '{operands[1]}': {error}");
            outputReal = real!;
            if (input != "-" && outputReal == TextFiles.RealOrNull(context, input))
                content = [];
            TextFiles.Write(context, outputReal, [], append: false);
        }
        if (file.IsDirectoryOperand)
            return context.Fail($"{input}: I/O error");
        if (content.Contains((byte)0))
            throw context.NotEmulated("on a file with NUL bytes");

        var output = new StringBuilder();
        var lines = TextFiles.Lines(content);
        for (var i = 0; i < lines.Count;)
        {
            var key = Compared(lines[i], numbers['f'], numbers['s'], options.Has('i'));
            var run = 1;
            while (i + run < lines.Count && Same(key, Compared(lines[i + run], numbers['f'], numbers['s'], options.Has('i')), numbers['w']))
                run++;
            if (run > 1 ? !options.Has('u') : !options.Has('d'))
            {
                if (options.Has('c'))
                    output.Append(CultureInfo.InvariantCulture, $"{run,7} ");
                output.Append(lines[i]).Append('\n');
            }
            i += run;
        }
        if (outputReal is not null)
            TextFiles.Write(context, outputReal, ShellText.Encode(output.ToString()), append: false);
        else
            context.Output.Write(output.ToString());
        return 0;
    }

    /// <summary>The part of a line compared: fields skipped (blanks, then non-blanks), then characters; lowercase with -i.</summary>
    private static string Compared(string line, int fields, int characters, bool ignoreCase)
    {
        var p = 0;
        for (var i = 0; i < fields; i++)
        {
            while (p < line.Length && IsSpace(line[p]))
                p++;
            while (p < line.Length && !IsSpace(line[p]))
                p++;
        }
        var compared = line[Math.Min(line.Length, p + characters)..];
        return ignoreCase ? TextFiles.AsciiLower(compared) : compared;
    }

    /// <summary>strncmp on at most <paramref name="width"/> characters.</summary>
    private static bool Same(string x, string y, int width) =>
        string.CompareOrdinal(x, 0, y, 0, width) == 0;

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
