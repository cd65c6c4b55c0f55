using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox's printf: the format is reused while arguments remain; %s %b %c %d %i %o %u %x %X %% with flags, width
/// and precision (`*` too); a missing argument is empty or 0; a number that does not parse is reported, counts as
/// 0, and makes the status 1. Floating-point conversions are not emulated.
/// </summary>
internal static class PrintfCommand
{
    /// <summary>The widest field and longest precision emulated: real scripts pad to a screen's width, wider is a runaway.</summary>
    public const int FieldLimit = 1 << 16;

    public static int Run(IReadOnlyList<string> arguments, ShellOutput output, ShellOutput error)
    {
        if (arguments.Count == 0)
        {
            error.Write("printf: usage: printf FORMAT [ARGUMENT...]\n");
            return 1;
        }
        var format = arguments[0];
        var values = arguments.Skip(1).ToList();
        var at = 0;
        var status = 0;
        var text = new StringBuilder();
        do
        {
            var used = at;
            if (Format(format, values, ref at, text, error, ref status))
                break;
            if (at == used)
                break;
        }
        while (at < values.Count);
        output.Write(text.ToString());
        return status;
    }

    /// <summary>One pass over the format; true when `\c` (in the format or a %b argument) ends all output.</summary>
    private static bool Format(string format, List<string> values, ref int at, StringBuilder text, ShellOutput error, ref int status)
    {
        string Next(ref int index) => index < values.Count ? values[index++] : "";
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '\\')
            {
                var end = i + 1;
                // One escape: find where it ends, then expand it alone.
                if (end < format.Length && format[end] is >= '0' and <= '7')
                    while (end < format.Length && end - i <= 3 && format[end] is >= '0' and <= '7')
                        end++;
                else if (end < format.Length && format[end] == 'x')
                    for (end++; end < format.Length && end - i <= 3 && char.IsAsciiHexDigit(format[end]); end++) { }
                else
                    end = Math.Min(end + 1, format.Length);
                if (Escapes.Expand(format[i..end], text, octalNeedsZero: false))
                    return true;
                i = end - 1;
                continue;
            }
            if (c != '%')
            {
                text.Append(c);
                continue;
            }
            if (i + 1 < format.Length && format[i + 1] == '%')
            {
                text.Append('%');
                i++;
                continue;
            }
            var start = i++;
            var flags = "";
            while (i < format.Length && "-+ #0".Contains(format[i]))
                flags += format[i++];
            int? width = null, precision = null;
            if (i < format.Length && format[i] == '*')
            {
                var argument = Next(ref at);
                width = Field(Number(argument, error, ref status), argument, "width");
                i++;
            }
            else
            {
                width = Digits(format, ref i, "width");
            }
            if (i < format.Length && format[i] == '.')
            {
                i++;
                if (i < format.Length && format[i] == '*')
                {
                    // A negative precision is taken as none, as C's printf does.
                    var argument = Next(ref at);
                    precision = Field(Number(argument, error, ref status), argument, "precision") is var p and >= 0 ? p : null;
                    i++;
                }
                else
                {
                    precision = Digits(format, ref i, "precision") ?? 0;
                }
            }
            while (i < format.Length && format[i] is 'l' or 'h' or 'j' or 'z' or 't' or 'L')
                i++;
            if (i >= format.Length)
            {
                text.Append(format[start..]);
                break;
            }
            var conversion = format[i];
            string formatted;
            switch (conversion)
            {
                case 's':
                    formatted = Next(ref at);
                    if (precision is { } max && formatted.Length > max)
                        formatted = formatted[..max];
                    break;
                case 'b':
                    var expanded = new StringBuilder();
                    var stop = Escapes.Expand(Next(ref at), expanded, octalNeedsZero: true);
                    formatted = expanded.ToString();
                    if (precision is { } bmax && formatted.Length > bmax)
                        formatted = formatted[..bmax];
                    if (stop)
                    {
                        text.Append(Pad(formatted, width, flags));
                        return true;
                    }
                    break;
                case 'c':
                    var value = Next(ref at);
                    formatted = value.Length > 0 ? value[..1] : "";
                    break;
                case 'd' or 'i' or 'o' or 'u' or 'x' or 'X':
                    formatted = Integer(Number(Next(ref at), error, ref status), conversion, flags, precision);
                    break;
                default:
                    throw new NotEmulatedException($"the printf conversion '%{conversion}' is not emulated");
            }
            text.Append(Pad(formatted, width, conversion is 's' or 'b' or 'c' ? flags.Replace("0", "") : flags));
            if (text.Length > ShellHost.ValueLimit)
                throw new NotEmulatedException($"printf's output exceeds {ShellHost.ValueLimit >> 20} Mi characters, not emulated");
        }
        return false;
    }

    private static int? Digits(string format, ref int i, string what)
    {
        var start = i;
        while (i < format.Length && char.IsAsciiDigit(format[i]))
            i++;
        if (i == start)
            return null;
        var text = format[start..i];
        var digits = text.TrimStart('0');
        // More digits than the limit has cannot be within it (and may not fit a long).
        return Field(digits.Length > 7 ? long.MaxValue : digits.Length == 0 ? 0 : long.Parse(digits, CultureInfo.InvariantCulture), text, what);
    }

    /// <summary>A field width or precision (negative from `*`), within <see cref="FieldLimit"/>.</summary>
    private static int Field(long value, string text, string what) => value is >= -FieldLimit and <= FieldLimit
        ? (int)value
        : throw new NotEmulatedException($"a printf field {what} of {text} exceeds {FieldLimit}, not emulated");

    /// <summary>A numeric argument: a C integer, or `'c`/`"c` for a character's code.</summary>
    private static long Number(string text, ShellOutput error, ref int status)
    {
        if (text.Length == 0)
            return 0;
        if (text[0] is '\'' or '"')
            return text.Length > 1 ? text[1] : 0;
        var trimmed = text.TrimStart(' ', '\t');
        var negative = trimmed.StartsWith('-');
        var digits = trimmed.TrimStart('+', '-');
        if (ArithmeticEvaluator.ParseNumber(digits) is { } value)
            return negative ? -value : value;
        error.Write($"printf: invalid number '{text}'\n");
        status = 1;
        return 0;
    }

    private static string Integer(long value, char conversion, string flags, int? precision)
    {
        var negative = value < 0 && conversion is 'd' or 'i';
        var magnitude = conversion switch
        {
            'd' or 'i' => negative ? ((ulong)(-(value + 1)) + 1).ToString(CultureInfo.InvariantCulture) : value.ToString(CultureInfo.InvariantCulture),
            'u' => ((ulong)value).ToString(CultureInfo.InvariantCulture),
            'o' => Convert.ToString(value, 8),
            'x' => ((ulong)value).ToString("x", CultureInfo.InvariantCulture),
            _ => ((ulong)value).ToString("X", CultureInfo.InvariantCulture),
        };
        if (precision is { } digits && magnitude.Length < digits)
            magnitude = magnitude.PadLeft(digits, '0');
        if (flags.Contains('#') && value != 0)
            magnitude = conversion switch { 'o' => "0" + magnitude, 'x' => "0x" + magnitude, 'X' => "0X" + magnitude, _ => magnitude };
        var sign = negative ? "-" : conversion is 'd' or 'i' && flags.Contains('+') ? "+" : conversion is 'd' or 'i' && flags.Contains(' ') ? " " : "";
        return sign + magnitude;
    }

    private static string Pad(string text, int? width, string flags)
    {
        if (width is not { } w || text.Length >= Math.Abs(w))
            return text;
        if (flags.Contains('-') || w < 0)
            return text.PadRight(Math.Abs(w));
        if (flags.Contains('0'))
        {
            var signLength = text.Length > 0 && text[0] is '-' or '+' or ' ' ? 1 : 0;
            return text[..signLength] + text[signLength..].PadLeft(w - signLength, '0');
        }
        return text.PadLeft(w);
    }
}
