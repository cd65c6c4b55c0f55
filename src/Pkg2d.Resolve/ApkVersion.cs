namespace Pkg2d.Resolve;

/// <summary>How a version relates to a constraint version; a dependency operator is a mask of these.</summary>
[Flags]
public enum VersionOp
{
    /// <summary>No version constraint: every version matches.</summary>
    Any = 0,
    Less = 1,
    Equal = 2,
    Greater = 4,
    /// <summary>`~`: versions are compared only as far as both go, so `~1.2` matches 1.2.3 and 1.2-r5.</summary>
    Fuzzy = 8,
    /// <summary>`&gt;&lt;`: the constraint is a package checksum (`C:`), as lib/apk/db/installed writes it.</summary>
    Checksum = Less | Greater,
}

/// <summary>
/// Alpine package versions as apk-tools 2.x reads them: `1.2.3a_rc1_p2-r4`, numeric parts (a part after a dot that
/// starts with zeros counts as minus the number of zeros, so `1.01 &lt; 1.1` and `1.00 &lt; 1.0`), one letter, suffixes
/// (`_alpha _beta _pre _rc` sort before the release, `_cvs _svn _git _hg _p` after), `-rN`; numbers of more than 17
/// digits are invalid. Invalid versions are compared token by token like apk does: up to the first invalid token,
/// after which the invalid one sorts higher than a version that has ended.
/// </summary>
public static class ApkVersion
{
    private enum Token
    {
        Invalid = -1,
        DigitOrZero,
        Digit,
        Letter,
        Suffix,
        SuffixNo,
        RevisionNo,
        End,
    }

    private static readonly string[] PreSuffixes = ["alpha", "beta", "pre", "rc"];
    private static readonly string[] PostSuffixes = ["cvs", "svn", "git", "hg", "p"];

    /// <summary>-1, 0 or 1 as <paramref name="a"/> is lower than, equal to or higher than <paramref name="b"/>.</summary>
    public static int Compare(string a, string b) => CompareMask(a, b, fuzzy: false) switch
    {
        VersionOp.Less => -1,
        VersionOp.Greater => 1,
        _ => 0,
    };

    /// <summary>Whether apk accepts the string as a version (an empty string is accepted, as apk does).</summary>
    public static bool IsValid(string version)
    {
        var type = Token.Digit;
        var pos = 0;
        while (type != Token.End && type != Token.Invalid)
            ReadToken(ref type, version, ref pos);
        return type == Token.End;
    }

    /// <summary>Whether <paramref name="version"/> satisfies `op constraint` (`&gt;=1.2`, `~1.2`...).</summary>
    public static bool Matches(string version, VersionOp op, string constraint) =>
        op == VersionOp.Any || (CompareMask(version, constraint, (op & VersionOp.Fuzzy) != 0) & op) != 0;

    /// <summary>The relation of <paramref name="a"/> to <paramref name="b"/>; fuzzy stops at the shorter one.</summary>
    internal static VersionOp CompareMask(string a, string b, bool fuzzy)
    {
        Token at = Token.Digit, bt = Token.Digit;
        long av = 0, bv = 0;
        int ap = 0, bp = 0;
        while (at == bt && at != Token.End && at != Token.Invalid && av == bv)
        {
            av = ReadToken(ref at, a, ref ap);
            bv = ReadToken(ref bt, b, ref bp);
        }
        if (av < bv)
            return VersionOp.Less;
        if (av > bv)
            return VersionOp.Greater;
        if (at == bt || fuzzy)
            return VersionOp.Equal;

        // Equal so far: the longer version is higher, unless what follows is a pre-release suffix.
        var tt = at;
        var peek = ap;
        if (at == Token.Suffix && ReadToken(ref tt, a, ref peek) < 0)
            return VersionOp.Less;
        tt = bt;
        peek = bp;
        if (bt == Token.Suffix && ReadToken(ref tt, b, ref peek) < 0)
            return VersionOp.Greater;
        if (at > bt)
            return VersionOp.Less;
        if (bt > at)
            return VersionOp.Greater;
        return VersionOp.Equal;
    }

    /// <summary>apk 2.14 refuses numbers longer than this (the token is invalid).</summary>
    private const int MaxDigits = 17;

    /// <summary>Reads the value of a token of kind <paramref name="type"/> and moves on to the kind of the next one.</summary>
    private static long ReadToken(ref Token type, string s, ref int pos)
    {
        if (pos >= s.Length)
        {
            type = Token.End;
            return 0;
        }
        long value = 0;
        var length = 0;
        switch (type)
        {
            case Token.DigitOrZero when s[pos] == '0':
                // Zeros after a dot: the more zeros, the lower; digits after them form the next token.
                while (pos + length < s.Length && s[pos + length] == '0')
                    length++;
                pos += length;
                if (pos >= s.Length)
                    type = Token.End;
                else if (char.IsAsciiDigit(s[pos]))
                    type = Token.Digit;
                else
                    NextToken(ref type, s, ref pos);
                return -length;
            case Token.DigitOrZero:
            case Token.Digit:
            case Token.SuffixNo:
            case Token.RevisionNo:
                while (pos + length < s.Length && char.IsAsciiDigit(s[pos + length]))
                    value = value * 10 + (s[pos + length++] - '0');
                if (length > MaxDigits)
                {
                    type = Token.Invalid;
                    return -1;
                }
                break;
            case Token.Letter:
                value = s[pos];
                length = 1;
                break;
            case Token.Suffix:
                if (FindSuffix(PreSuffixes, s, pos) is var (pre, preLength) && pre >= 0)
                {
                    value = pre - PreSuffixes.Length;
                    length = preLength;
                    break;
                }
                if (FindSuffix(PostSuffixes, s, pos) is var (post, postLength) && post >= 0)
                {
                    value = post;
                    length = postLength;
                    break;
                }
                type = Token.Invalid;
                return -1;
            default:
                type = Token.Invalid;
                return -1;
        }
        pos += length;
        if (pos >= s.Length)
            type = Token.End;
        else
            NextToken(ref type, s, ref pos);
        return value;
    }

    private static (int Index, int Length) FindSuffix(string[] suffixes, string s, int pos)
    {
        for (var i = 0; i < suffixes.Length; i++)
            if (string.CompareOrdinal(s, pos, suffixes[i], 0, suffixes[i].Length) == 0 && pos + suffixes[i].Length <= s.Length)
                return (i, suffixes[i].Length);
        return (-1, 0);
    }

    /// <summary>Decides the kind of the token at <paramref name="pos"/>, consuming its separator.</summary>
    private static void NextToken(ref Token type, string s, ref int pos)
    {
        var next = Token.Invalid;
        if (pos >= s.Length || s[pos] == '\0')
            next = Token.End;
        else if ((type == Token.Digit || type == Token.DigitOrZero) && char.IsAsciiLetterLower(s[pos]))
            next = Token.Letter;
        else if (type == Token.Letter && char.IsAsciiDigit(s[pos]))
            next = Token.Digit;
        else if (type == Token.Suffix && char.IsAsciiDigit(s[pos]))
            next = Token.SuffixNo;
        else
        {
            switch (s[pos])
            {
                case '.':
                    next = Token.DigitOrZero;
                    break;
                case '_':
                    next = Token.Suffix;
                    break;
                case '-' when pos + 1 < s.Length && s[pos + 1] == 'r':
                    next = Token.RevisionNo;
                    pos++;
                    break;
            }
            pos++;
        }

        // Parts come in a fixed order; going back is only allowed where the grammar repeats.
        if (next < type
            && !(next == Token.DigitOrZero && type == Token.Digit)
            && !(next == Token.Suffix && type == Token.SuffixNo)
            && !(next == Token.Digit && type == Token.Letter))
            next = Token.Invalid;
        type = next;
    }
}
