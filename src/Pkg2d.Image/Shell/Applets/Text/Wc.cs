using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's wc [-cmlwL]: its byte loop (a word is a run of printable ASCII other than space, so other
/// bytes neither start nor end words; -m counts the bytes that are not UTF-8 continuation bytes; -L counts
/// printable ASCII and tabs to the next multiple of 8), and its format: counts `%9u` apart from a single count of a
/// single operand, then ` NAME` (nothing for standard input), and a `total` line for several operands.
/// </summary>
internal static class Wc
{
    // busybox's column order: lines, words, characters, bytes, longest line.
    private const string Columns = "lwmcL";

    public static int Run(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "cmlwL");
        var printed = Columns.Where(options.Has).ToList();
        if (printed.Count == 0)
            printed = ['l', 'w', 'c'];
        var operands = options.Operands;
        var padded = !(operands.Count <= 1 && printed.Count == 1);
        var totals = new long[Columns.Length];
        var output = new StringBuilder();
        var status = 0;
        foreach (var operand in operands.Count > 0 ? operands : ["-"])
        {
            var file = TextFiles.Open(context, operand);
            if (file.Content is null && !file.IsDirectoryOperand)
            {
                status = context.Fail($"{operand}: {file.Error}");
                continue;
            }
            if (file.IsDirectoryOperand)
                status = context.Fail($"{operand}: {file.Error}");
            var counts = Count(file.Content ?? []);
            for (var i = 0; i < counts.Length; i++)
                totals[i] += counts[i];
            Print(output, printed, counts, padded, operands.Count > 0 ? operand : null);
        }
        if (operands.Count > 1)
            Print(output, printed, totals, padded, "total");
        context.Output.Write(output.ToString());
        return status;
    }

    private static void Print(StringBuilder output, List<char> printed, long[] counts, bool padded, string? name)
    {
        for (var i = 0; i < printed.Count; i++)
        {
            var count = counts[Columns.IndexOf(printed[i])];
            if (i > 0)
                output.Append(' ');
            output.Append(padded ? count.ToString(CultureInfo.InvariantCulture).PadLeft(9) : count.ToString(CultureInfo.InvariantCulture));
        }
        output.Append(name is null ? "\n" : $" {name}\n");
    }

    private static long[] Count(byte[] content)
    {
        long lines = 0, words = 0, characters = 0, bytes = 0, longest = 0, position = 0;
        var inWord = false;
        foreach (var c in content)
        {
            bytes++;
            if ((c & 0xc0) != 0x80)
                characters++;
            if (c is >= 0x20 and <= 0x7e)
            {
                position++;
                if (c != ' ')
                {
                    inWord = true;
                    continue;
                }
            }
            else if (c is >= 9 and <= 13)
            {
                if (c == '\t')
                {
                    position = (position | 7) + 1;
                }
                else
                {
                    longest = Math.Max(longest, position);
                    if (c == '\n')
                        lines++;
                    if (c != '\v')
                        position = 0;
                }
            }
            else
            {
                continue;
            }
            if (inWord)
                words++;
            inWord = false;
        }
        longest = Math.Max(longest, position);
        if (inWord)
            words++;
        return [lines, words, characters, bytes, longest];
    }
}
