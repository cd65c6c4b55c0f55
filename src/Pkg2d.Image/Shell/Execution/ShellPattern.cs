namespace Pkg2d.Image.Shell;

/// <summary>
/// Shell pattern matching (fnmatch without flags, as `case`, `${x#p}` and pathname expansion use it): `*`, `?`,
/// bracket expressions with ranges, `!`/`^` negation and `[:class:]`, and `\` quoting the next character. The
/// expander escapes quoted characters with `\`, so quoting and patterns travel in one string.
/// </summary>
internal static class ShellPattern
{
    /// <summary>Whether the whole of <paramref name="text"/> matches <paramref name="pattern"/>.</summary>
    public static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        // Greedy matching with a single backtrack point per star is exact for fnmatch patterns.
        int p = 0, t = 0, starP = -1, starT = -1;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                starP = ++p;
                starT = t;
                continue;
            }
            if (p < pattern.Length && MatchOne(pattern, ref p, text[t]) is { } width)
            {
                p += width;
                t++;
                continue;
            }
            if (starP < 0)
                return false;
            p = starP;
            t = ++starT;
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    /// <summary>Whether the pattern has an unquoted `*`, `?` or bracket expression (otherwise it only matches itself).</summary>
    public static bool HasWildcards(string pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            switch (pattern[i])
            {
                case '\\':
                    i++;
                    break;
                case '*' or '?':
                    return true;
                case '[' when BracketEnd(pattern, i) > 0:
                    return true;
            }
        }
        return false;
    }

    /// <summary>The pattern's text without its quoting backslashes (what a non-matching glob leaves behind).</summary>
    public static string Unescape(string pattern)
    {
        if (!pattern.Contains('\\'))
            return pattern;
        var text = new System.Text.StringBuilder(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\' && i + 1 < pattern.Length)
                i++;
            text.Append(pattern[i]);
        }
        return text.ToString();
    }

    /// <summary>Quotes every character that is special in a pattern.</summary>
    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny(@"\*?[]") < 0)
            return text;
        var escaped = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (c is '\\' or '*' or '?' or '[' or ']')
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }

    /// <summary>
    /// Matches one character at <paramref name="p"/> (not a star): returns how many pattern characters it took, or
    /// null when <paramref name="c"/> does not match.
    /// </summary>
    private static int? MatchOne(ReadOnlySpan<char> pattern, ref int p, char c)
    {
        switch (pattern[p])
        {
            case '?':
                return 1;
            case '\\' when p + 1 < pattern.Length:
                return pattern[p + 1] == c ? 2 : null;
            case '[':
                var end = BracketEnd(pattern, p);
                if (end < 0)
                    return pattern[p] == c ? 1 : null;
                return InBracket(pattern[(p + 1)..end], c) ? end + 1 - p : null;
            default:
                return pattern[p] == c ? 1 : null;
        }
    }

    /// <summary>The index of the `]` closing the bracket expression at <paramref name="start"/>, or -1 when it is a plain `[`.</summary>
    private static int BracketEnd(ReadOnlySpan<char> pattern, int start)
    {
        var i = start + 1;
        if (i < pattern.Length && pattern[i] is '!' or '^')
            i++;
        if (i < pattern.Length && pattern[i] == ']')
            i++;
        for (; i < pattern.Length; i++)
        {
            if (pattern[i] == '\\')
                i++;
            else if (pattern[i] == '[' && i + 1 < pattern.Length && pattern[i + 1] == ':' && pattern[(i + 2)..].IndexOf(":]") is var close and >= 0)
                i += close + 3;
            else if (pattern[i] == ']')
                return i;
        }
        return -1;
    }

    private static bool InBracket(ReadOnlySpan<char> set, char c)
    {
        var negate = set.Length > 0 && set[0] is '!' or '^';
        var i = negate ? 1 : 0;
        var matched = false;
        while (i < set.Length)
        {
            if (set[i] == '[' && i + 1 < set.Length && set[i + 1] == ':' && set[(i + 2)..].IndexOf(":]") is var close and >= 0)
            {
                matched |= InClass(set.Slice(i + 2, close).ToString(), c);
                i += close + 4;
                continue;
            }
            var low = set[i] == '\\' && i + 1 < set.Length ? set[++i] : set[i];
            i++;
            if (i + 1 < set.Length && set[i] == '-')
            {
                var high = set[i + 1] == '\\' && i + 2 < set.Length ? set[i + 2] : set[i + 1];
                i += set[i + 1] == '\\' ? 3 : 2;
                matched |= c >= low && c <= high;
            }
            else
            {
                matched |= c == low;
            }
        }
        return matched != negate;
    }

    /// <summary>The POSIX character classes in the C locale.</summary>
    internal static bool InClass(string name, char c) => name switch
    {
        "alpha" => char.IsAsciiLetter(c),
        "digit" => char.IsAsciiDigit(c),
        "alnum" => char.IsAsciiLetterOrDigit(c),
        "upper" => char.IsAsciiLetterUpper(c),
        "lower" => char.IsAsciiLetterLower(c),
        "space" => c is ' ' or '\t' or '\n' or '\r' or '\v' or '\f',
        "blank" => c is ' ' or '\t',
        "punct" => c is > ' ' and < '\x7f' && !char.IsAsciiLetterOrDigit(c),
        "print" => c is >= ' ' and < '\x7f',
        "graph" => c is > ' ' and < '\x7f',
        "cntrl" => c < ' ' || c == '\x7f',
        "xdigit" => char.IsAsciiHexDigit(c),
        _ => false,
    };
}
