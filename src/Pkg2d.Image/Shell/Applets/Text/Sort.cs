using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's sort, from coreutils/sort.c: keys (-k START[.CHAR][OPTS][,END[.CHAR][OPTS]], -t CHAR) with
/// get_key's field rules, -n (atof), -g, -f -b -d -i -r, -u (by key), -s, -c, -o FILE, and the last-resort
/// byte comparison of whole lines that makes the order total. A key with options of its own ignores the global
/// ones, as busybox does. -h, -M, -V and -z are not emulated.
/// </summary>
internal static class Sort
{
    [Flags]
    private enum Flag
    {
        None = 0,
        Numeric = 1 << 0,
        General = 1 << 1,
        Stable = 1 << 7,
        LeadingBlanks = 1 << 9,
        Reverse = 1 << 10,
        Dictionary = 1 << 11,
        Fold = 1 << 12,
        Printable = 1 << 13,
        TrailingBlanks = 1 << 20,
        NoTieBreak = 1 << 21,
    }

    private sealed record Key(int StartField, int StartChar, int EndField, int EndChar, Flag Flags);

    private sealed class Failure(string message) : Exception(message);

    public static int Run(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "nghMVucszbrdfimS:T:o:k:t:");
        foreach (var unsupported in "hMVz")
        {
            if (options.Has(unsupported))
                throw context.NotEmulated("-" + unsupported);
        }
        var global = Flag.None;
        foreach (var (option, flag) in new[] { ('n', Flag.Numeric), ('g', Flag.General), ('s', Flag.Stable), ('b', Flag.LeadingBlanks | Flag.TrailingBlanks), ('r', Flag.Reverse), ('d', Flag.Dictionary), ('f', Flag.Fold), ('i', Flag.Printable) })
        {
            if (options.Has(option))
                global |= flag;
        }
        char? separator = null;
        List<Key> keys;
        try
        {
            if (options.Value('t') is { } t)
                separator = t.Length == 1 ? t[0] : throw new Failure("bad -t parameter");
            keys = [.. options.Values('k').Select(ParseKey)];
        }
        catch (Failure failure)
        {
            return context.Fail(failure.Message, 2);
        }
        if (keys.Count == 0)
            keys.Add(new Key(1, 0, 0, 0, Flag.None));

        var lines = new List<string>();
        foreach (var operand in options.Operands.Count > 0 ? options.Operands : ["-"])
        {
            // coreutils 6.9 compatible: the first unreadable file ends sort.
            var file = TextFiles.Open(context, operand);
            if (file.Content is null && !file.IsDirectoryOperand)
                return context.Fail($"{operand}: {file.Error}", 2);
            if (file.Content is { } content)
            {
                if (content.Contains((byte)0))
                    throw context.NotEmulated("on a file with NUL bytes");
                lines.AddRange(TextFiles.Lines(content));
            }
        }

        var order = Enumerable.Range(0, lines.Count).ToList();
        if (options.Has('c'))
        {
            var limit = options.Has('u') ? -1 : 0;
            for (var i = 1; i < lines.Count; i++)
            {
                if (Compare(lines, keys, separator, global, i - 1, i) > limit)
                {
                    context.Error.Write($"Check line {i}\n");
                    return 1;
                }
            }
            return 0;
        }
        MuslQsort.Sort(order, (x, y) => Compare(lines, keys, separator, global, x, y));
        if (options.Has('u'))
        {
            // Lines whose keys are the same are duplicates (no last-resort comparison, no -s).
            var unique = (global | Flag.NoTieBreak) & ~Flag.Stable;
            var kept = new List<int>();
            foreach (var index in order)
            {
                if (kept.Count == 0 || Compare(lines, keys, separator, unique, kept[^1], index) != 0)
                    kept.Add(index);
            }
            order = kept;
        }
        var output = new StringBuilder();
        foreach (var index in order)
            output.Append(lines[index]).Append('\n');
        if (options.Value('o') is { } outputFile)
        {
            var real = TextFiles.RealOrNull(context, outputFile);
            if (TextFiles.CreateError(context, real) is { } error)
                return context.Fail($"can't open '{outputFile}': {error}", 2);
            TextFiles.Write(context, real!, ShellText.Encode(output.ToString()), append: false);
        }
        else
        {
            context.Output.Write(output.ToString());
        }
        return 0;
    }

    /// <summary>-k START[.CHAR][OPTS][,END[.CHAR][OPTS]].</summary>
    private static Key ParseKey(string text)
    {
        var range = new int[4];
        var flags = Flag.None;
        var (p, part) = (0, 0);
        while (p < text.Length)
        {
            range[2 * part] = Number(text, ref p);
            if (p < text.Length && text[p] == '.')
            {
                p++;
                range[2 * part + 1] = Number(text, ref p);
            }
            while (p < text.Length)
            {
                if (text[p] == ',' && part++ == 0)
                {
                    p++;
                    break;
                }
                var flag = text[p] switch
                {
                    'n' => Flag.Numeric,
                    'g' => Flag.General,
                    'b' => part > 0 ? Flag.TrailingBlanks : Flag.LeadingBlanks,
                    'r' => Flag.Reverse,
                    'd' => Flag.Dictionary,
                    'f' => Flag.Fold,
                    'i' => Flag.Printable,
                    'h' or 'M' => throw new NotEmulatedException($"'sort -k {text}' is not emulated"),
                    _ when "ucszmS:T:o:k:*t:V".Contains(text[p]) => throw new Failure("unknown sort type"),
                    _ => throw new Failure("unknown key option"),
                };
                flags |= flag;
                p++;
            }
        }
        return new Key(range[0], range[1], range[2], range[3], flags);
    }

    private static int Number(string text, ref int p)
    {
        var start = p;
        while (p < text.Length && char.IsAsciiDigit(text[p]))
            p++;
        if (p == start || !int.TryParse(text[start..p], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n == 0)
            throw new Failure("bad field specification");
        return n;
    }

    /// <summary>compare_keys: key by key, then (unless -s or -u) the whole lines; -s keeps the input order of ties.</summary>
    private static int Compare(List<string> lines, List<Key> keys, char? separator, Flag global, int xIndex, int yIndex)
    {
        var (x, y) = (lines[xIndex], lines[yIndex]);
        var result = 0;
        var flags = global;
        foreach (var key in keys)
        {
            flags = key.Flags != Flag.None ? key.Flags : global;
            var (xKey, yKey) = (Extract(x, key, flags, separator), Extract(y, key, flags, separator));
            result = (flags & (Flag.Numeric | Flag.General)) switch
            {
                Flag.None => string.CompareOrdinal(xKey, yKey),
                Flag.Numeric => Order(Strtod(xKey, out _), Strtod(yKey, out _)),
                Flag.General => General(xKey, yKey),
                _ => throw new NotEmulatedException("'sort' with several sort types is not emulated"),
            };
            if (result != 0)
                break;
        }
        if (result == 0)
        {
            if ((global & Flag.Stable) != 0)
                return xIndex > yIndex ? 1 : xIndex < yIndex ? -1 : 0;
            if ((global & Flag.NoTieBreak) == 0)
            {
                flags = global;
                result = string.CompareOrdinal(x, y);
            }
        }
        return Math.Sign(result) * ((flags & Flag.Reverse) != 0 ? -1 : 1);
    }

    /// <summary>-g: not numbers &lt; NaN &lt; numbers, by value.</summary>
    private static int General(string x, string y)
    {
        var (dx, dy) = (Strtod(x, out var xUsed), Strtod(y, out var yUsed));
        if (xUsed == 0)
            return yUsed == 0 ? 0 : -1;
        if (yUsed == 0)
            return 1;
        if (double.IsNaN(dx))
            return double.IsNaN(dy) ? 0 : -1;
        if (double.IsNaN(dy))
            return 1;
        return Order(dx, dy);
    }

    /// <summary>(dx > dy) ? 1 : (dx &lt; dy) ? -1 : 0, so NaN ties.</summary>
    private static int Order(double x, double y) => x > y ? 1 : x < y ? -1 : 0;

    /// <summary>get_key: the part of the line the key selects, with -b, -d, -i and -f applied.</summary>
    private static string Extract(string line, Key key, Flag flags, char? separator)
    {
        if (key is { StartField: 1, StartChar: 0, EndField: 0, EndChar: 0 }
            && (flags & (Flag.LeadingBlanks | Flag.Dictionary | Flag.Fold | Flag.Printable | Flag.TrailingBlanks)) == 0)
        {
            return line;
        }
        var length = line.Length;
        var (start, end) = (0, 0);
        for (var j = 0; j < 2; j++)
        {
            var field = j == 0 ? key.StartField : key.EndField;
            if (field == 0)
            {
                end = length;
            }
            else
            {
                var c = '\0';
                end = 0;
                for (var i = 1; i < field + j; i++)
                {
                    if (separator is { } s)
                    {
                        // The key's body and its separator.
                        while ((c = end < length ? line[end] : '\0') != '\0')
                        {
                            end++;
                            if (c == s)
                                break;
                        }
                    }
                    else
                    {
                        while (end < length && IsSpace(line[end]))
                            end++;
                        while (end < length && !IsSpace(line[end]))
                            end++;
                    }
                }
                // "abc:def:" keeps "abc:def".
                if (j == 1 && c != '\0')
                    end--;
            }
            if (j == 0)
                start = end;
        }
        if ((flags & Flag.LeadingBlanks) != 0)
        {
            while (start < length && IsSpace(line[start]))
                start++;
        }
        if ((flags & Flag.TrailingBlanks) != 0)
        {
            while (end > start && IsSpace(line[end - 1]))
                end--;
        }
        if (key.EndChar != 0)
            end = Math.Min(key.EndChar, length);
        if (key.StartChar != 0)
            start = Math.Min(start + key.StartChar - 1, length);
        if (end < start)
            end = start;
        var text = line[start..end];
        if ((flags & Flag.Dictionary) != 0)
            text = string.Concat(text.Where(c => IsSpace(c) || char.IsAsciiLetterOrDigit(c)));
        if ((flags & Flag.Printable) != 0)
            text = string.Concat(text.Where(c => c is >= ' ' and <= '~'));
        if ((flags & Flag.Fold) != 0)
            text = string.Concat(text.Select(c => c is >= 'a' and <= 'z' ? (char)(c - 32) : c));
        return text;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    /// <summary>strtod as musl reads a number at the start of a string (0 without one); <paramref name="used"/> is 0 when there was none.</summary>
    internal static double Strtod(string text, out int used)
    {
        var p = 0;
        while (p < text.Length && IsSpace(text[p]))
            p++;
        var signStart = p;
        var negative = false;
        if (p < text.Length && text[p] is '+' or '-')
            negative = text[p++] == '-';
        var rest = text[p..];
        if (rest.StartsWith("inf", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("nan", StringComparison.OrdinalIgnoreCase))
        {
            var isNan = char.ToLowerInvariant(rest[0]) == 'n';
            used = p + (rest.StartsWith("infinity", StringComparison.OrdinalIgnoreCase) ? 8 : 3);
            return isNan ? double.NaN : negative ? double.NegativeInfinity : double.PositiveInfinity;
        }
        if (rest.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return Hexadecimal(text, p, negative, out used);
        var q = p;
        var digits = 0;
        while (q < text.Length && char.IsAsciiDigit(text[q]))
            (q, digits) = (q + 1, digits + 1);
        if (q < text.Length && text[q] == '.')
        {
            q++;
            while (q < text.Length && char.IsAsciiDigit(text[q]))
                (q, digits) = (q + 1, digits + 1);
        }
        if (digits == 0)
        {
            used = 0;
            return 0;
        }
        if (q < text.Length && text[q] is 'e' or 'E')
        {
            var e = q + 1;
            if (e < text.Length && text[e] is '+' or '-')
                e++;
            if (e < text.Length && char.IsAsciiDigit(text[e]))
            {
                while (e < text.Length && char.IsAsciiDigit(text[e]))
                    e++;
                q = e;
            }
        }
        used = q;
        return double.Parse(text[signStart..q], NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>strtod's `0x` form: hex digits, an optional fraction and a binary exponent `p`; a bare `0x` is 0.</summary>
    private static double Hexadecimal(string text, int p, bool negative, out int used)
    {
        var q = p + 2;
        var (mantissa, scale, digits) = (0.0, 0, 0);
        var fraction = false;
        for (; q < text.Length; q++)
        {
            if (text[q] == '.' && !fraction)
            {
                fraction = true;
                continue;
            }
            if (!Uri.IsHexDigit(text[q]))
                break;
            mantissa = mantissa * 16 + Convert.ToInt32(text[q].ToString(), 16);
            scale -= fraction ? 4 : 0;
            digits++;
        }
        if (digits == 0)
        {
            used = p + 1;
            return negative ? -0.0 : 0;
        }
        if (q < text.Length && text[q] is 'p' or 'P')
        {
            var e = q + 1;
            var sign = 1;
            if (e < text.Length && text[e] is '+' or '-')
                sign = text[e++] == '-' ? -1 : 1;
            if (e < text.Length && char.IsAsciiDigit(text[e]))
            {
                var exponent = 0;
                while (e < text.Length && char.IsAsciiDigit(text[e]))
                    exponent = Math.Min(100000, exponent * 10 + text[e++] - '0');
                scale += sign * exponent;
                q = e;
            }
        }
        used = q;
        var value = mantissa * Math.Pow(2, scale);
        return negative ? -value : value;
    }
}
