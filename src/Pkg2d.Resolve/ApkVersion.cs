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
    /// <summary>`~`: versions are compared only as far as the constraint goes, so `~1.2` matches 1.2.3 and 1.2-r5.</summary>
    Fuzzy = 8,
    /// <summary>`&gt;&lt;`: the constraint is a package checksum (`C:`), as lib/apk/db/installed writes it.</summary>
    Checksum = Less | Greater,
}

/// <summary>
/// Alpine package versions as apk-tools 3.0 reads them: `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`.
/// The first part and each part after a dot are numbers; when either of two compared parts after a dot starts with
/// a zero they compare as strings, like decimal fractions (`1.0.1 &lt; 1.06`, `8.2.0 &lt; 8.2.001`). One letter may
/// follow a number; suffixes are exact words (`_alpha _beta _pre _rc` sort before the release, `_cvs _svn _git _hg
/// _p` after) with an optional number; `~hash` is lowercase hex compared as a string; `-rN` is the revision.
/// Numbers wrap at 64 bits like apk's. An invalid version is compared up to its first invalid part, which sorts
/// lower than any valid continuation or the end of the other version.
/// </summary>
public static class ApkVersion
{
    // The order matters: a part may only be followed by a later kind (or a repeatable one), and when two versions are
    // equal up to where one of them goes on with a different kind, the one with the earlier kind is higher.
    private enum Kind
    {
        InitialDigit,
        Digit,
        Letter,
        Suffix,
        SuffixNo,
        CommitHash,
        RevisionNo,
        End,
        Invalid,
    }

    // apk's suffix values: pre-release words below None (a version without suffix), the others above it.
    private const int SuffixNone = 5;
    private static readonly string[] Suffixes = ["", "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"];

    /// <summary>-1, 0 or 1 as <paramref name="a"/> is lower than, equal to or higher than <paramref name="b"/>.</summary>
    public static int Compare(string a, string b) => CompareMask(a, b, fuzzy: false) switch
    {
        VersionOp.Less => -1,
        VersionOp.Greater => 1,
        _ => 0,
    };

    /// <summary>Whether apk accepts the string as a version (an empty one is not).</summary>
    public static bool IsValid(string version)
    {
        var part = Part.First(version);
        while (part.Kind < Kind.End)
            part.Next();
        return part.Kind == Kind.End;
    }

    /// <summary>Whether <paramref name="version"/> satisfies `op constraint` (`&gt;=1.2`, `~1.2`...).</summary>
    public static bool Matches(string version, VersionOp op, string constraint) =>
        op == VersionOp.Any || (CompareMask(version, constraint, (op & VersionOp.Fuzzy) != 0) & op) != 0;

    /// <summary>The relation of <paramref name="a"/> to <paramref name="b"/>; fuzzy: equal when <paramref name="a"/>
    /// starts with all of <paramref name="b"/>. apk treats an empty version as matching every relation.</summary>
    internal static VersionOp CompareMask(string a, string b, bool fuzzy)
    {
        if (a.Length == 0 || b.Length == 0)
            return a.Length == b.Length ? VersionOp.Equal : VersionOp.Less | VersionOp.Equal | VersionOp.Greater;
        var pa = Part.First(a);
        var pb = Part.First(b);
        for (; pa.Kind == pb.Kind && pa.Kind < Kind.End; pa.Next(), pb.Next())
        {
            var r = Part.Compare(pa, pb);
            if (r != 0)
                return r < 0 ? VersionOp.Less : VersionOp.Greater;
        }
        if (pa.Kind == pb.Kind || (pb.Kind == Kind.End && fuzzy))
            return VersionOp.Equal;

        // Equal so far: the version that goes on is higher, unless what follows is a pre-release suffix.
        if (pa.Kind == Kind.Suffix && pa.Suffix < SuffixNone)
            return VersionOp.Less;
        if (pb.Kind == Kind.Suffix && pb.Suffix < SuffixNone)
            return VersionOp.Greater;
        if (pa.Kind > pb.Kind)
            return VersionOp.Less;
        if (pb.Kind > pa.Kind)
            return VersionOp.Greater;
        return VersionOp.Equal;
    }

    /// <summary>One part of a version and where its text is; <see cref="Next"/> moves to the following part.</summary>
    private struct Part
    {
        private readonly string _s;
        private int _pos;
        private int _start;
        private int _length;
        private ulong _number;

        private Part(string s) => _s = s;

        public Kind Kind { get; private set; }
        public int Suffix { get; private set; }

        private readonly ReadOnlySpan<char> Value => _s.AsSpan(_start, _length);

        public static Part First(string s)
        {
            var part = new Part(s) { Kind = Kind.InitialDigit };
            part.Digits();
            return part;
        }

        public void Next()
        {
            if (_pos >= _s.Length)
            {
                Kind = Kind.End;
                return;
            }
            var c = _s[_pos];
            switch (c)
            {
                case >= 'a' and <= 'z':
                    if (Kind > Kind.Digit)
                        goto default;
                    (_start, _length) = (_pos++, 1);
                    Kind = Kind.Letter;
                    return;
                case '.' or (>= '0' and <= '9'):
                    if (c == '.')
                    {
                        if (Kind > Kind.Digit)
                            goto default;
                        _pos++;
                    }
                    Kind = Kind switch
                    {
                        Kind.InitialDigit or Kind.Digit => Kind.Digit,
                        Kind.Suffix => Kind.SuffixNo,
                        _ => Kind.Invalid,
                    };
                    if (Kind != Kind.Invalid)
                        Digits();
                    return;
                case '_':
                    if (Kind > Kind.SuffixNo)
                        goto default;
                    Span(++_pos, static ch => ch is >= 'a' and <= 'z');
                    Suffix = SuffixValue(Value);
                    Kind = Suffix == 0 ? Kind.Invalid : Kind.Suffix;
                    return;
                case '~':
                    if (Kind >= Kind.CommitHash)
                        goto default;
                    Span(++_pos, static ch => ch is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
                    Kind = _length == 0 ? Kind.Invalid : Kind.CommitHash;
                    return;
                case '-':
                    if (Kind >= Kind.RevisionNo || _pos + 1 >= _s.Length || _s[_pos + 1] != 'r')
                        goto default;
                    _pos += 2;
                    Kind = Kind.RevisionNo;
                    Digits();
                    return;
                default:
                    Kind = Kind.Invalid;
                    return;
            }
        }

        /// <summary>Reads a number (wrapping like apk's 64-bit one); none at all makes the part invalid.</summary>
        private void Digits()
        {
            Span(_pos, char.IsAsciiDigit);
            _number = 0;
            foreach (var d in Value)
                _number = unchecked(_number * 10 + (ulong)(d - '0'));
            if (_length == 0)
                Kind = Kind.Invalid;
        }

        private static int SuffixValue(ReadOnlySpan<char> word)
        {
            for (var i = 1; i < Suffixes.Length; i++)
                if (i != SuffixNone && word.SequenceEqual(Suffixes[i]))
                    return i;
            return 0;
        }

        private void Span(int from, Func<char, bool> accept)
        {
            _start = _pos = from;
            while (_pos < _s.Length && accept(_s[_pos]))
                _pos++;
            _length = _pos - _start;
        }

        /// <summary>Two parts of the same kind: numbers by value, except that a part after a dot with a leading zero
        /// on either side compares as text; suffixes by rank; letters and hashes as text.</summary>
        public static int Compare(in Part a, in Part b)
        {
            switch (a.Kind)
            {
                case Kind.Digit when a.Value[0] != '0' && b.Value[0] != '0':
                case Kind.InitialDigit or Kind.SuffixNo or Kind.RevisionNo:
                    return a._number.CompareTo(b._number);
                case Kind.Suffix:
                    return a.Suffix.CompareTo(b.Suffix);
                default:
                    return Math.Sign(a.Value.SequenceCompareTo(b.Value));
            }
        }
    }
}
