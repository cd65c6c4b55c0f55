namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's tr [-cCds] STRING1 [STRING2], byte by byte on standard input, ported from coreutils/tr.c:
/// ranges `a-z` (an inverted one is empty), escapes (`\n`, `\\`, octal `\NNN`, hex `\xHH`), classes `[:alpha:]`
/// `[:alnum:]` `[:digit:]` `[:lower:]` `[:upper:]` `[:space:]` `[:blank:]` `[:punct:]` `[:cntrl:]` `[:xdigit:]`,
/// `[=c=]`; any other `[` is itself. STRING2 shorter than STRING1 repeats its last character; -c takes the
/// bytes not in STRING1, in order.
/// </summary>
internal static class Tr
{
    private const int Ascii = 256;

    public static int Run(AppletContext context)
    {
        // getopt32 "^+Ccds" "-1:?2": options before the first operand, one or two operands.
        var arguments = context.Arguments;
        var (complement, delete, squeeze, i) = (false, false, false, 0);
        for (; i < arguments.Count && arguments[i].Length > 1 && arguments[i][0] == '-'; i++)
        {
            if (arguments[i] == "--")
            {
                i++;
                break;
            }
            foreach (var option in arguments[i][1..])
            {
                switch (option)
                {
                    case 'c' or 'C':
                        complement = true;
                        break;
                    case 'd':
                        delete = true;
                        break;
                    case 's':
                        squeeze = true;
                        break;
                    default:
                        return TextApplets.Usage(context, "[-cds] STRING1 [STRING2]");
                }
            }
        }
        // Operands past STRING2 are ignored.
        var operands = arguments.Skip(i).Take(2).ToList();
        if (operands.Count == 0)
            return TextApplets.Usage(context, "[-cds] STRING1 [STRING2]");

        if (Expand(operands[0]) is not { } set1)
            return TextApplets.Usage(context, "[-cds] STRING1 [STRING2]");
        if (complement)
            set1 = [.. Enumerable.Range(0, Ascii).Select(c => (byte)c).Where(c => !set1.Contains(c))];
        var set2 = new List<byte>();
        var vector = new byte[Ascii];
        for (var c = 0; c < Ascii; c++)
            vector[c] = (byte)c;
        if (operands.Count == 2)
        {
            if (operands[1].Length == 0)
                return context.Fail("STRING2 cannot be empty");
            if (Expand(operands[1]) is not { } expanded)
                return TextApplets.Usage(context, "[-cds] STRING1 [STRING2]");
            set2 = expanded;
            // map(): STRING2 runs out and its last character stays.
            var last = (byte)'0';
            for (int k = 0, j = 0; k < set1.Count; k++)
                vector[set1[k]] = j < set2.Count ? last = set2[j++] : last;
        }
        var inSet1 = new bool[Ascii];
        var inSet2 = new bool[Ascii];
        set1.ForEach(c => inSet1[c] = true);
        set2.ForEach(c => inSet2[c] = true);

        var input = context.Input.ReadAll();
        var output = new List<byte>(input.Length);
        var previous = -1;
        foreach (var c in input)
        {
            if (delete && inSet1[c])
                continue;
            var coded = vector[c];
            if (squeeze && previous == coded && (inSet1[c] || inSet2[coded]))
                continue;
            output.Add(coded);
            previous = coded;
        }
        context.Output.Write(output.ToArray());
        return 0;
    }

    /// <summary>tr's expand(): the bytes a STRING stands for; null for a malformed `[=c=]` (busybox shows its usage).</summary>
    private static List<byte>? Expand(string text)
    {
        var arg = ShellText.Encode(text).ToList();
        arg.Add(0);
        var buffer = new List<byte>();
        var p = 0;
        while (arg[p] != 0)
        {
            if (arg[p] == '\\')
            {
                p++;
                var (value, next) = EscapeSequence(arg, p);
                p = next - 1;
                arg[p] = value;
                // Falls through: the character may start a range.
            }
            if (arg[p + 1] == '-')
            {
                var end = arg[p + 2];
                if (end == 0)
                {
                    buffer.Add(arg[p++]);
                    continue;
                }
                var first = arg[p];
                p += 3;
                if (end == '\\')
                    (end, p) = EscapeSequence(arg, p);
                for (var c = (int)first; c <= end; c++)
                    buffer.Add((byte)c);
                continue;
            }
            if (arg[p] == '[')
            {
                var kind = arg[p + 1];
                if (kind == ':' && Class(arg, p + 2) is var (members, length) && members is not null)
                {
                    buffer.AddRange(members);
                    p += 2 + length;
                    continue;
                }
                if (kind == '=')
                {
                    var c = arg[p + 2];
                    buffer.Add(c);
                    if (c == 0 || arg[p + 3] != '=' || arg[p + 4] != ']')
                        return null;
                    p += 5;
                    continue;
                }
            }
            buffer.Add(arg[p++]);
        }
        return buffer;
    }

    /// <summary>`[:name:]` at <paramref name="at"/> (after `[:`): the class's bytes in busybox's order, and the text it used.</summary>
    private static (List<byte>? Members, int Length) Class(List<byte> arg, int at)
    {
        var length = arg[at] == 'x' ? 8 : 7;
        var name = ShellText.Decode(arg.Skip(at).Take(length).TakeWhile(b => b != 0).ToArray());
        static IEnumerable<int> Span(char from, char to) => Enumerable.Range(from, to - from + 1);
        IEnumerable<int>? members = name switch
        {
            "alpha:]" => Span('A', 'Z').Concat(Span('a', 'z')),
            "alnum:]" => Span('0', '9').Concat(Span('A', 'Z')).Concat(Span('a', 'z')),
            "digit:]" => Span('0', '9'),
            "lower:]" => Span('a', 'z'),
            "upper:]" => Span('A', 'Z'),
            "space:]" => "\t\n\v\f\r ".Select(c => (int)c),
            "blank:]" => "\t ".Select(c => (int)c),
            "punct:]" => Span('!', '~').Where(c => !char.IsAsciiLetterOrDigit((char)c)),
            "cntrl:]" => Span('\0', '\u001f').Append(0x7f),
            "xdigit:]" => Span('0', '9').Concat(Span('A', 'F')).Concat(Span('a', 'f')),
            _ => null,
        };
        return (members?.Select(c => (byte)c).ToList(), length);
    }

    /// <summary>bb_process_escape_sequence on the text after a backslash: the byte and where reading goes on.</summary>
    private static (byte Value, int Next) EscapeSequence(List<byte> arg, int q)
    {
        var (digits, n, radix) = (0, 0, 8);
        if (arg[q] == 'x')
        {
            q++;
            radix = 16;
            digits++;
        }
        do
        {
            var d = arg[q] - '0';
            if (d is < 0 or >= 10)
            {
                d = char.ToLowerInvariant((char)arg[q]) - 'a';
                if (d >= 0)
                    d += 10;
                else
                    d = int.MaxValue;
            }
            if (d >= radix)
            {
                if (radix == 16 && --digits == 0)
                    return ((byte)'\\', q - 1); // `\x` without a hex digit: a backslash, and `x` read next
                break;
            }
            var r = n * radix + d;
            if (r > byte.MaxValue)
                break;
            n = r;
            q++;
        }
        while (++digits < 3);
        if (digits == 0)
        {
            const string letters = "abefnrtv\\";
            const string values = "\a\b\u001b\f\n\r\t\v\\";
            var at = letters.IndexOf((char)arg[q]);
            if (at >= 0)
            {
                q++;
                n = values[at];
            }
            else
            {
                n = '\\';
            }
        }
        return ((byte)n, q);
    }
}
