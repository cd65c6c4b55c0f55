using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

// The script, read as add_cmd_block, add_cmd, get_address and parse_cmd_args read it.
internal sealed partial class Sed
{
    private void AddBlock(string block)
    {
        foreach (var line in block.Split('\n'))
            AddCommand(line);
    }

    private void AddCommand(string line)
    {
        var text = _unfinished is null ? line : _unfinished + "\n" + line;
        _unfinished = null;
        // An odd number of trailing backslashes joins the next line (the backslash goes).
        var trailing = text.Length - text.TrimEnd('\\').Length;
        if (trailing % 2 == 1)
        {
            _unfinished = text[..^1];
            return;
        }
        var p = 0;
        while (p < text.Length)
        {
            while (p < text.Length && SemicolonWhitespace.Contains(text[p]))
                p++;
            if (p >= text.Length)
                break;
            if (text[p] == '#')
            {
                if (p + 1 < text.Length && text[p + 1] == 'n')
                    _quiet++;
                var end = text.IndexOfAny(['\n', '\r'], p);
                if (end < 0)
                    break;
                p = end;
                continue;
            }
            var command = new Command { Letter = '\0' };
            p += Address(text, p, out command.BeginLine, out command.BeginRegex);
            command.BeginLineOriginal = command.BeginLine;
            if (p < text.Length && text[p] == ',')
            {
                p++;
                if (p + 1 < text.Length && text[p] == '+' && char.IsAsciiDigit(text[p + 1]))
                {
                    var digits = Digits(text, p + 1);
                    command.EndLine = -2 - Number(text[(p + 1)..digits]);
                    p = digits;
                }
                else
                {
                    var used = Address(text, p, out command.EndLine, out command.EndRegex);
                    if (used == 0)
                        throw new Failure("no address after comma");
                    p += used;
                }
                command.EndLineOriginal = command.EndLine;
            }
            p = SkipWhitespace(text, p);
            if (p < text.Length && text[p] == '!')
            {
                command.Invert = true;
                p = SkipWhitespace(text, p + 1);
            }
            if (p >= text.Length)
                throw new Failure("missing command");
            command.Letter = text[p++];
            p = Arguments(command, text, p);
            _commands.Add(command);
        }
    }

    private static int SkipWhitespace(string text, int p)
    {
        while (p < text.Length && text[p] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
            p++;
        return p;
    }

    private static int Digits(string text, int p)
    {
        while (p < text.Length && char.IsAsciiDigit(text[p]))
            p++;
        return p;
    }

    /// <summary>strtol into an int, as a line number: sed's `int`s wrap, which no script relies on.</summary>
    private int Number(string digits) =>
        int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw _context.NotEmulated($"line number {digits}");

    /// <summary>get_address: a line number, `$` (-1) or a regex (`/RE/`, `\cREc`); returns the characters used.</summary>
    private int Address(string text, int p, out int line, out PosixRegex? regex)
    {
        (line, regex) = (0, null);
        if (p >= text.Length)
            return 0;
        if (char.IsAsciiDigit(text[p]))
        {
            var end = Digits(text, p);
            line = Number(text[p..end]);
            return end - p;
        }
        if (text[p] == '$')
        {
            line = -1;
            return 1;
        }
        if (text[p] is not ('/' or '\\'))
            return 0;
        var start = p;
        var delimiter = '/';
        if (text[p] == '\\')
            delimiter = ++p < text.Length ? text[p] : '\0';
        p++;
        var next = NextDelimiter(delimiter, text, p, brackets: true);
        if (next != 0)
        {
            regex = _previousRegex = Compile(Unescape(text.Substring(p, next), '\0'), ignoreCase: false);
        }
        else
        {
            regex = _previousRegex ?? throw new Failure("no previous regexp");
        }
        return p + next + 1 - start;
    }

    private PosixRegex Compile(string pattern, bool ignoreCase)
    {
        try
        {
            return PosixRegex.Compile(pattern, _extended, ignoreCase);
        }
        catch (PosixRegexException e)
        {
            throw new Failure($"bad regex '{pattern}': {e.Message}");
        }
    }

    /// <summary>
    /// index_of_next_unescaped_regexp_delim: the offset from <paramref name="p"/> of the next unescaped delimiter;
    /// inside a regex a bracket expression hides it.
    /// </summary>
    private static int NextDelimiter(char delimiter, string text, int p, bool brackets)
    {
        var bracket = brackets ? -1 : -2;
        var escaped = false;
        for (var idx = 0; p + idx < text.Length; idx++)
        {
            var c = text[p + idx];
            if (bracket >= 0)
            {
                if (c == ']' && !(bracket == idx - 1 || (bracket == idx - 2 && text[p + idx - 1] == '^')))
                    bracket = -1;
            }
            else if (escaped)
            {
                escaped = false;
            }
            else if (c == '\\')
            {
                escaped = true;
            }
            else if (bracket == -1 && c == '[')
            {
                bracket = idx;
            }
            else if (c == delimiter)
            {
                return idx;
            }
        }
        throw new Failure($"unmatched '{delimiter}'");
    }

    /// <summary>copy_parsing_escapes: `\n` `\t` `\r` become the characters, and `\DELIM` the delimiter.</summary>
    private static string Unescape(string text, char delimiter)
    {
        foreach (var (from, to) in new[] { ('n', '\n'), ('t', '\t'), ('r', '\r') })
            text = ParseEscapes(text, from, to);
        return delimiter == '\0' ? text : ParseEscapes(text, delimiter, delimiter);
    }

    /// <summary>parse_escapes: `\FROM` becomes TO (with TO NUL: every `\X` becomes X); other escapes stay as they are.</summary>
    private static string ParseEscapes(string text, char from, char to)
    {
        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                if (to == '\0' || text[i + 1] == from)
                {
                    result.Append(to == '\0' ? text[i + 1] : to);
                    i += 2;
                    continue;
                }
                result.Append('\\');
                i++;
            }
            result.Append(text[i++]);
        }
        return result.ToString();
    }

    /// <summary>parse_cmd_args: the command's own arguments; returns where the next command may start.</summary>
    private int Arguments(Command command, string text, int p)
    {
        switch (command.Letter)
        {
            case 's':
                return Substitution(command, text, p);
            case 'a' or 'i' or 'c':
                if (command.Letter != 'c' && (command.EndLine != 0 || command.EndRegex is not null))
                    throw new Failure($"command '{command.Letter}' uses only one address");
                while (p < text.Length)
                {
                    if (text[p] is '\n' or '\\')
                    {
                        p++;
                        break;
                    }
                    if (text[p] is not (' ' or '\t' or '\v' or '\f' or '\r'))
                        break;
                    p++;
                }
                command.Text = ParseEscapes(Unescape(text[p..], '\0'), '\0', '\0');
                return text.Length;
            case 'r' or 'w':
                if (command.Letter == 'r' && (command.EndLine != 0 || command.EndRegex is not null))
                    throw new Failure("command 'r' uses only one address");
                (command.Text, p) = FileName(text, p);
                if (command.Letter == 'w')
                    command.FileReal = OpenWriteFile(command.Text);
                return p;
            case ':' or 'b' or 't' or 'T':
                p = SkipWhitespace(text, p);
                var end = p;
                while (end < text.Length && !SemicolonWhitespace.Contains(text[end]))
                    end++;
                if (end > p)
                    command.Text = text[p..end];
                return end;
            case 'y':
                var delimiter = p < text.Length ? text[p] : '\0';
                var (from, to, next) = Delimited(text, p);
                from = ParseEscapes(from, delimiter, delimiter);
                to = ParseEscapes(to, delimiter, delimiter);
                command.Translation = from.Zip(to).ToArray();
                return next + 1;
            case 'd' or 'D' or 'g' or 'G' or 'h' or 'H' or 'l' or 'n' or 'N' or 'p' or 'P' or 'q' or 'x' or '=' or '{' or '}':
                return p;
            default:
                throw new Failure($"unsupported command {command.Letter}");
        }
    }

    /// <summary>parse_file_cmd: blanks skipped, then the name to the end of the line.</summary>
    private static (string Name, int End) FileName(string text, int p)
    {
        var start = SkipWhitespace(text, p);
        var end = text.IndexOf('\n', start) is var newline and >= 0 ? newline : text.Length;
        if (end == start)
            throw new Failure("empty filename");
        // A name cut at a joined line keeps the backslash the join removed.
        return (end < text.Length ? text[start..end] + "\\" : text[start..end], end);
    }

    /// <summary>sed_xfopen_w: one truncated file per name, shared by the commands that name it.</summary>
    private string OpenWriteFile(string name)
    {
        if (_writeFiles.ContainsKey(name))
            return _writeFiles[name].Real;
        var real = _context.Real(name);
        if (TextFiles.CreateError(_context, real) is { } error)
            throw new Failure($"can't open '{name}': {error}");
        TextFiles.Write(_context, real, [], append: false);
        _writeFiles[name] = new WriteFile(real);
        return real;
    }

    /// <summary>parse_regex_delim: the two delimited parts after `s` or `y`, and the offset of the third delimiter.</summary>
    private static (string Match, string Replace, int End) Delimited(string text, int p)
    {
        if (p >= text.Length)
            throw new Failure("bad format in substitution expression");
        var delimiter = text[p++];
        var first = NextDelimiter(delimiter, text, p, brackets: true);
        var match = Unescape(text.Substring(p, first), delimiter);
        p += first + 1;
        var second = NextDelimiter(delimiter, text, p, brackets: false);
        var replace = Unescape(text.Substring(p, second), delimiter != '&' ? delimiter : '\0');
        return (match, replace, p + second);
    }

    /// <summary>parse_subst_cmd: `s/RE/REPLACEMENT/FLAGS`.</summary>
    private int Substitution(Command command, string text, int p)
    {
        var (match, replace, idx) = Delimited(text, p);
        command.Text = replace;
        command.WhichMatch = 1;
        var ignoreCase = false;
        while (++idx < text.Length)
        {
            var c = text[idx];
            if (char.IsAsciiDigit(c))
            {
                if (match.Length == 0 || match[0] != '^')
                {
                    var end = Digits(text, idx);
                    command.WhichMatch = Number(text[idx..end]);
                    idx = end - 1;
                }
                continue;
            }
            if (c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
                continue;
            if (c is ';' or '}')
                break;
            if (c == '#')
            {
                idx = text.Length;
                break;
            }
            switch (c)
            {
                case 'g':
                    command.WhichMatch = 0;
                    break;
                case 'p':
                    command.PrintSubstituted = true;
                    break;
                case 'w':
                    string name;
                    (name, idx) = FileName(text, idx + 1);
                    command.FileReal = OpenWriteFile(name);
                    break;
                case 'i' or 'I':
                    ignoreCase = true;
                    break;
                default:
                    throw new Failure("bad option in substitution expression");
            }
        }
        if (match.Length > 0)
            command.SubstituteRegex = Compile(match, ignoreCase);
        return Math.Min(idx, text.Length);
    }
}
