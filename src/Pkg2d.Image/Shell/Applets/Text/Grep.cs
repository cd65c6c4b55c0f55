using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's grep (also as egrep and fgrep), from findutils/grep.c: options `-qEFvcilLnswxhHoe f m`;
/// patterns are split at newlines; -w and -x check the leftmost-longest match as busybox does (-w retries after a
/// match that is not a word, -F -w with busybox's quirks); status 0 when a line was selected, 1 when none, 2 after
/// an unreadable file (-q exits 0 at the first selected line, before later files are even opened).
/// Context (-A -B -C) and recursion (-r -R) are not emulated.
/// </summary>
internal static class Grep
{
    private const string StandardInput = "(standard input)";

    private sealed record Pattern(string Text, PosixRegex? Regex);

    private sealed class Settings
    {
        public bool Quiet, Invert, Count, FilesWithMatches, FilesWithout, LineNumbers, Fixed, IgnoreCase, Words, WholeLines, OnlyMatching;
        public bool PrintNames;
        public int? MaxCount;
    }

    /// <summary>-q found a line: grep exits at once with status 0.</summary>
    private sealed class Found : Exception;

    public static int Run(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "lnqvscFiHhe:f:Lorm:wxA:B:C:EaIR");
        foreach (var unsupported in "rRABC")
        {
            if (options.Has(unsupported))
                throw context.NotEmulated("-" + unsupported);
        }
        var settings = new Settings
        {
            Quiet = options.Has('q'),
            Invert = options.Has('v'),
            Count = options.Has('c'),
            FilesWithMatches = options.Has('l'),
            FilesWithout = options.Has('L'),
            Fixed = options.Has('F') || context.Name == "fgrep",
            IgnoreCase = options.Has('i'),
            Words = options.Has('w'),
            WholeLines = options.Has('x'),
            OnlyMatching = options.Has('o'),
        };
        settings.LineNumbers = options.Has('n') && !(settings.Count || settings.Quiet || settings.FilesWithMatches || settings.FilesWithout);
        if (options.Value('m') is { } max)
        {
            settings.MaxCount = int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m
                : throw context.NotEmulated($"-m {max}");
        }
        if (settings.OnlyMatching && settings.Invert)
            throw context.NotEmulated("-o with -v");
        if (settings.MaxCount == 0)
            throw context.NotEmulated("-m 0");
        var extended = options.Has('E') || context.Name == "egrep";

        var operands = options.Operands;
        var texts = options.Values('e').ToList();
        foreach (var file in options.Values('f'))
        {
            var opened = TextFiles.Open(context, file);
            if (opened.Content is not { } content)
                return context.Fail($"can't open '{file}': {opened.Error}", 2);
            texts.AddRange(TextFiles.Lines(content));
        }
        if (options.Has('f') && texts.Count == 0)
        {
            // -f with an empty file: nothing matches (busybox inverts an empty pattern).
            texts.Add("");
            settings.Invert = !settings.Invert;
        }
        if (texts.Count == 0)
        {
            if (operands.Count == 0)
            {
                context.Error.Write("Usage: grep [-HhnlLoqvsrRiwFE] [-m N] [-A|B|C N] { PATTERN | -e PATTERN... | -f FILE... } [FILE]...\n");
                return 2;
            }
            texts.Add(operands[0]);
            operands.RemoveAt(0);
        }
        var patterns = new List<Pattern>();
        foreach (var text in texts.SelectMany(t => t.Split('\n')))
        {
            if (settings.Fixed)
            {
                patterns.Add(new Pattern(text, null));
                continue;
            }
            try
            {
                patterns.Add(new Pattern(text, PosixRegex.Compile(text, extended, settings.IgnoreCase)));
            }
            catch (PosixRegexException e)
            {
                return context.Fail($"bad regex '{text}': {e.Message}", 2);
            }
        }

        settings.PrintNames = LastOf(context.Arguments, 'H', 'h') is { } last ? last == 'H' : operands.Count > 1;
        var output = new StringBuilder();
        var (matched, openErrors) = (0, false);
        try
        {
            foreach (var operand in operands.Count == 0 ? ["-"] : operands)
            {
                var file = TextFiles.Open(context, operand);
                if (file.Content is null && !file.IsDirectoryOperand)
                {
                    if (!options.Has('s'))
                        context.Fail($"{operand}: {file.Error}");
                    openErrors = true;
                    continue;
                }
                matched += GrepFile(context, settings, patterns, operand == "-" ? StandardInput : operand, file.Content ?? [], output);
            }
        }
        catch (Found)
        {
            return 0;
        }
        context.Output.Write(output.ToString());
        return openErrors ? 2 : matched > 0 ? 0 : 1;
    }

    /// <summary>Which of two flags was given last (-H and -h cancel each other), or null for neither.</summary>
    private static char? LastOf(IReadOnlyList<string> arguments, char first, char second)
    {
        char? last = null;
        for (var i = 0; i < arguments.Count && arguments[i] != "--"; i++)
        {
            if (arguments[i].Length < 2 || arguments[i][0] != '-' || arguments[i][1] == '-')
                continue;
            for (var j = 1; j < arguments[i].Length; j++)
            {
                var c = arguments[i][j];
                if (c == first || c == second)
                    last = c;
                if ("efmABC".Contains(c))
                {
                    if (j == arguments[i].Length - 1)
                        i++;
                    break;
                }
            }
        }
        return last;
    }

    /// <summary>grep_file: the selected lines (or their count, or the file's name); returns how many lines were selected.</summary>
    private static int GrepFile(AppletContext context, Settings settings, List<Pattern> patterns, string name, byte[] content, StringBuilder output)
    {
        if (content.Contains((byte)0))
            throw context.NotEmulated("on a file with NUL bytes");
        var (selected, number) = (0, 0);
        foreach (var line in TextFiles.Lines(content))
        {
            number++;
            var (found, which, range) = (false, (Pattern?)null, (0, 0));
            foreach (var pattern in patterns)
            {
                (found, range) = Matches(settings, pattern, line);
                if (found && !settings.Invert)
                {
                    which = pattern;
                    break;
                }
            }
            if (found == settings.Invert)
                continue;
            selected++;
            if (settings.Quiet)
                throw new Found();
            if (settings.FilesWithMatches || settings.FilesWithout)
            {
                if (settings.FilesWithMatches)
                    output.Append(name).Append('\n');
                return 1;
            }
            if (!settings.Count)
            {
                if (settings.OnlyMatching)
                    PrintMatches(settings, which!, range, line, name, number, output);
                else
                    PrintLine(settings, line, name, number, output);
            }
            if (selected == settings.MaxCount)
                break;
        }
        if (settings.Count)
            output.Append(settings.PrintNames ? name + ":" : "").Append(CultureInfo.InvariantCulture, $"{selected}\n");
        if (settings.FilesWithout)
            output.Append(name).Append('\n');
        return selected;
    }

    private static void PrintLine(Settings settings, string line, string name, int number, StringBuilder output)
    {
        if (settings.PrintNames)
            output.Append(name).Append(':');
        if (settings.LineNumbers)
            output.Append(CultureInfo.InvariantCulture, $"{number}:");
        output.Append(line).Append('\n');
    }

    /// <summary>
    /// -o: every non-empty match of the pattern that selected the line (-F prints the pattern). The first range is
    /// the one the selecting search ended on, taken from the start of the line as busybox takes it (after -w
    /// skipped a match, it was relative to where the search resumed).
    /// </summary>
    private static void PrintMatches(Settings settings, Pattern pattern, (int Start, int End) range, string line, string name, int number, StringBuilder output)
    {
        if (pattern.Regex is null)
        {
            PrintLine(settings, pattern.Text, name, number, output);
            return;
        }
        var (start, end) = range;
        while (true)
        {
            if (end > start)
                PrintLine(settings, line[start..end], name, number, output);
            if (end >= line.Length)
                break;
            if (end == start)
                end++;
            if (pattern.Regex.Match(line[end..], notBol: true) is not { } next)
                break;
            (start, end) = (next[0].Start + end, next[0].End + end);
        }
    }

    private static (bool Found, (int Start, int End) Range) Matches(Settings settings, Pattern pattern, string line) =>
        pattern.Regex is null ? (FixedMatches(settings, pattern.Text, line), (0, 0)) : RegexMatches(settings, pattern.Regex, line);

    /// <summary>
    /// The -F search: strstr, or musl's strcasestr with -i (ASCII case, and an empty pattern is not found at the
    /// end of the line); -x and -w as busybox checks them.
    /// </summary>
    private static bool FixedMatches(Settings settings, string pattern, string line)
    {
        var (haystack, needle) = settings.IgnoreCase ? (TextFiles.AsciiLower(line), TextFiles.AsciiLower(pattern)) : (line, pattern);
        var str = 0;
        while (true)
        {
            var match = settings.IgnoreCase && needle.Length == 0
                ? str < haystack.Length ? str : -1
                : haystack.IndexOf(needle, str, StringComparison.Ordinal);
            if (match < 0)
                return false;
            if (settings.WholeLines)
                return match == str && str + pattern.Length == line.Length;
            if (!settings.Words)
                return true;
            var c = match > 0 ? line[match - 1] : ' ';
            if (!IsWordChar(c))
            {
                c = match + pattern.Length < line.Length ? line[match + pattern.Length] : '\0';
                if (!IsWordChar(c))
                    return true;
            }
            str = match + 1;
            // Past the end of the line busybox reads the byte after its NUL (zero in practice): strstr finds an
            // empty pattern there and takes it for a word on its own; strcasestr finds nothing.
            if (str > line.Length)
                return needle.Length == 0 && !settings.IgnoreCase;
        }
    }

    /// <summary>
    /// The regex search: any match, or for -x one spanning the line, or for -w one between non-word characters;
    /// with the last match's range relative to where that search started.
    /// </summary>
    private static (bool Found, (int Start, int End) Range) RegexMatches(Settings settings, PosixRegex regex, string line)
    {
        var (at, notBol) = (0, false);
        while (regex.Match(line[at..], notBol) is { } match)
        {
            var (start, end) = match[0];
            if (settings.WholeLines)
                return (start == 0 && at + end == line.Length, (start, end));
            if (!settings.Words)
                return (true, (start, end));
            var c = at > 0 || start != 0 ? line[at + start - 1] : ' ';
            if (!IsWordChar(c))
                c = at + end < line.Length ? line[at + end] : '\0';
            if (!IsWordChar(c))
                return (true, (start, end));
            if (end == 0)
                return (false, (start, end));
            (at, notBol) = (at + end, true);
        }
        return (false, (0, 0));
    }

    /// <summary>isalnum (ASCII: busybox's ctype) or `_`.</summary>
    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
