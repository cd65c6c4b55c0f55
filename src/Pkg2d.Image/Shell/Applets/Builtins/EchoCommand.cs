using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox's echo (ash's builtin and the applet): `-n` (no newline), `-e` (backslash escapes) and `-E`, taken only
/// as leading arguments made of those letters. Without `-e` backslashes are printed as they are.
/// </summary>
internal static class EchoCommand
{
    public static int Run(IReadOnlyList<string> arguments, ShellOutput output)
    {
        var newline = true;
        var escapes = false;
        var i = 0;
        for (; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument.Length < 2 || argument[0] != '-' || argument.Skip(1).Any(c => c is not ('n' or 'e' or 'E')))
                break;
            foreach (var c in argument.Skip(1))
            {
                if (c == 'n')
                    newline = false;
                else
                    escapes = c == 'e';
            }
        }
        var text = new StringBuilder();
        for (var first = i; i < arguments.Count; i++)
        {
            if (i > first)
                text.Append(' ');
            if (!escapes)
            {
                text.Append(arguments[i]);
                continue;
            }
            if (Escapes.Expand(arguments[i], text, octalNeedsZero: true))
            {
                output.Write(text.ToString());
                return 0;
            }
        }
        if (newline)
            text.Append('\n');
        output.Write(text.ToString());
        return 0;
    }
}

/// <summary>Backslash escapes as echo -e, printf's format and %b read them.</summary>
internal static class Escapes
{
    /// <summary>
    /// Appends <paramref name="text"/> with its escapes expanded; true when `\c` ends all output there.
    /// <paramref name="octalNeedsZero"/>: echo and %b take `\0NNN`; printf's format takes `\NNN`.
    /// </summary>
    public static bool Expand(string text, StringBuilder into, bool octalNeedsZero)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\' || i + 1 == text.Length)
            {
                into.Append(c);
                continue;
            }
            var e = text[++i];
            switch (e)
            {
                case 'a': into.Append('\a'); break;
                case 'b': into.Append('\b'); break;
                case 'e': into.Append('\x1b'); break;
                case 'f': into.Append('\f'); break;
                case 'n': into.Append('\n'); break;
                case 'r': into.Append('\r'); break;
                case 't': into.Append('\t'); break;
                case 'v': into.Append('\v'); break;
                case '\\': into.Append('\\'); break;
                case 'c': return true;
                case 'x' when i + 1 < text.Length && char.IsAsciiHexDigit(text[i + 1]):
                {
                    var value = 0;
                    var digits = 0;
                    while (digits < 2 && i + 1 < text.Length && char.IsAsciiHexDigit(text[i + 1]))
                    {
                        value = value * 16 + Convert.ToInt32(text[++i].ToString(), 16);
                        digits++;
                    }
                    into.Append((char)value);
                    break;
                }
                case >= '0' and <= '7' when !octalNeedsZero || e == '0':
                {
                    var value = octalNeedsZero ? 0 : e - '0';
                    var digits = octalNeedsZero ? 0 : 1;
                    while (digits < 3 && i + 1 < text.Length && text[i + 1] is >= '0' and <= '7')
                    {
                        value = value * 8 + (text[++i] - '0');
                        digits++;
                    }
                    into.Append((char)(value & 0xFF));
                    break;
                }
                default:
                    into.Append('\\').Append(e);
                    break;
            }
        }
        return false;
    }
}
