using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pkg2d.Image.Shell;

/// <summary>A pattern musl's regcomp refuses, with musl's message (busybox prints `bad regex 'RE': MESSAGE`).</summary>
internal sealed class PosixRegexException(string message) : Exception(message);

/// <summary>
/// A POSIX basic or extended regular expression as musl 1.2.5 (TRE) compiles it for busybox's sed, grep and expr,
/// translated to a .NET <see cref="Regex"/>. The dialect is musl's: `\+ \? \|` in BREs, `\< \> \b \B \w \W \s \S
/// \d \D \t \n \r \f \a \e \xHH`, a leading `*` literal in a BRE but an error in an ERE, `\1`..`\9` only in BREs,
/// `^`/`$` anchors in a BRE only at the start/end of a (sub)expression, no collating elements. Strings are matched
/// as UTF-8 (musl's default locale is C.UTF-8): offsets in and out are byte offsets of the Latin-1 strings.
/// <para>
/// POSIX matching is leftmost-longest, .NET's leftmost-first. Both find the same leftmost start; where the pattern
/// allows a shorter and a longer match there (alternation, a repeated group, a back-reference), longer matches are
/// searched for until there is none. Submatches then follow .NET's first path to that end, where TRE's tag rules
/// may pick another split (`\(x\|xy\)\(z\|yz\)` on `xyz`: musl `xy`,`z`; here `x`,`yz`).
/// </para>
/// </summary>
internal sealed partial class PosixRegex
{
    private const int DupMax = 255;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly Node _root;
    private readonly int? _maxWidth;
    private readonly bool _ambiguous;
    private readonly Regex?[] _plain = new Regex?[2];
    private readonly Dictionary<(bool NotBol, int Length), Regex> _longer = [];

    private PosixRegex(Node root, int groups)
    {
        _root = EmptyPaths.Needed(root) ? EmptyPaths.Rewrite(root) : root;
        Groups = groups;
        _maxWidth = MaxWidth(_root);
        _ambiguous = IsAmbiguous(_root);
    }

    /// <summary>The number of parenthesised subexpressions (regex_t.re_nsub).</summary>
    public int Groups { get; }

    /// <summary>Compiles <paramref name="pattern"/> as regcomp would, or throws <see cref="PosixRegexException"/>.</summary>
    public static PosixRegex Compile(string pattern, bool extended, bool ignoreCase)
    {
        var text = Utf8.Decode(pattern) ?? throw new PosixRegexException("Invalid regexp");
        var parser = new Parser(text, extended, ignoreCase);
        var root = parser.Parse();
        return new PosixRegex(root, parser.GroupCount);
    }

    /// <summary>Whether regexec finds a match in <paramref name="text"/> (as a string of its own).</summary>
    public bool IsMatch(string text, bool notBol = false) => Match(text, notBol) is not null;

    /// <summary>
    /// regexec on <paramref name="text"/> (busybox passes the rest of a line as a string of its own): the byte offsets
    /// of the match and of each subexpression, (-1, -1) for one that took no part; null without a match.
    /// </summary>
    public (int Start, int End)[]? Match(string text, bool notBol = false)
    {
        var subject = Utf8.Subject(text);
        var regex = Plain(notBol);
        var match = Run(regex, subject.Text, 0);
        if (!match.Success)
            return null;
        // Longer matches at the same start, until there is none: the last one found is the longest.
        while (_ambiguous && match.Length < _maxWidth.GetValueOrDefault(int.MaxValue)
            && Run(Longer(notBol, match.Length), subject.Text, match.Index) is { Success: true } longer)
        {
            match = longer;
        }
        var result = new (int, int)[Groups + 1];
        for (var i = 0; i <= Groups; i++)
        {
            var group = match.Groups[i];
            result[i] = group.Success ? (subject.Offset(group.Index), subject.Offset(group.Index + group.Length)) : (-1, -1);
        }
        return result;
    }

    private static System.Text.RegularExpressions.Match Run(Regex regex, string text, int start)
    {
        try
        {
            return regex.Match(text, start);
        }
        catch (RegexMatchTimeoutException)
        {
            throw new NotEmulatedException("a regular expression takes too long to match");
        }
    }

    private Regex Plain(bool notBol) =>
        _plain[notBol ? 1 : 0] ??= new Regex(Emit(_root, notBol), RegexOptions.CultureInvariant, Timeout);

    /// <summary>
    /// The pattern anchored at the start position and made to match more than <paramref name="length"/> characters:
    /// its first path (in .NET's order) that does is also its first path to that end, so its groups are .NET's
    /// groups for a match of that extent.
    /// </summary>
    private Regex Longer(bool notBol, int length)
    {
        if (!_longer.TryGetValue((notBol, length), out var regex))
        {
            regex = new Regex($@"\G(?:{Emit(_root, notBol)})(?<=\G[\s\S]{{{length + 1},}})", RegexOptions.CultureInvariant, Timeout);
            _longer[(notBol, length)] = regex;
        }
        return regex;
    }

    private abstract record Node;

    private sealed record Literal(string Class) : Node;

    private sealed record AnyChar : Node;

    private sealed record Assertion(AssertionKind Kind) : Node;

    private sealed record Group(int Index, Node Inner) : Node;

    private sealed record Sequence(List<Node> Items) : Node;

    private sealed record Alternation(List<Node> Branches) : Node;

    private sealed record Repeat(Node Inner, int Min, int Max) : Node;

    private sealed record BackReference(int Index) : Node;

    /// <summary>Matches nothing: the non-empty part of what can only be empty.</summary>
    private sealed record Fail : Node;

    private enum AssertionKind { LineStart, LineEnd, WordStart, WordEnd, WordBoundary, NotWordBoundary }

    // IS_WORD_CHAR: '_' or iswalnum.
    private const string WordClass = @"[\p{L}0-9_]";

    private static string Emit(Node node, bool notBol)
    {
        var builder = new StringBuilder();
        Emit(node, notBol, builder);
        return builder.ToString();
    }

    private static void Emit(Node node, bool notBol, StringBuilder builder)
    {
        switch (node)
        {
            case Literal literal:
                builder.Append(literal.Class);
                break;
            case AnyChar:
                builder.Append(@"[\s\S]");
                break;
            case Assertion assertion:
                builder.Append(assertion.Kind switch
                {
                    AssertionKind.LineStart => notBol ? "(?!)" : @"\A",
                    AssertionKind.LineEnd => @"\z",
                    AssertionKind.WordStart => $"(?<!{WordClass})(?={WordClass})",
                    AssertionKind.WordEnd => $"(?<={WordClass})(?!{WordClass})",
                    // TRE: `\b` holds at either end of the string whatever the characters.
                    AssertionKind.WordBoundary => $@"(?:\A|\z|(?<={WordClass})(?!{WordClass})|(?<!{WordClass})(?={WordClass}))",
                    _ => $@"(?<=[\s\S])(?=[\s\S])(?:(?<={WordClass})(?={WordClass})|(?<!{WordClass})(?!{WordClass}))",
                });
                break;
            case Group group:
                // Numbered explicitly: the empty-path rewrite may repeat a group in several branches.
                builder.Append(CultureInfo.InvariantCulture, $"(?<{group.Index}>");
                Emit(group.Inner, notBol, builder);
                builder.Append(')');
                break;
            case Fail:
                builder.Append("(?!)");
                break;
            case Sequence sequence:
                foreach (var item in sequence.Items)
                    Emit(item, notBol, builder);
                break;
            case Alternation alternation:
                builder.Append("(?:");
                for (var i = 0; i < alternation.Branches.Count; i++)
                {
                    if (i > 0)
                        builder.Append('|');
                    Emit(alternation.Branches[i], notBol, builder);
                }
                builder.Append(')');
                break;
            case Repeat repeat:
                builder.Append("(?:");
                Emit(repeat.Inner, notBol, builder);
                builder.Append(')');
                builder.Append(repeat.Max < 0 ? $"{{{repeat.Min},}}" : $"{{{repeat.Min},{repeat.Max}}}");
                break;
            case BackReference reference:
                // TRE: a reference to a group that took no part matches the empty string.
                builder.Append(CultureInfo.InvariantCulture, $@"(?({reference.Index})(?:\{reference.Index})|)");
                break;
        }
    }

    /// <summary>The longest match the node can make, or null when unbounded.</summary>
    private static int? MaxWidth(Node node) => node switch
    {
        Literal or AnyChar => 1,
        Assertion or Fail => 0,
        Group group => MaxWidth(group.Inner),
        Sequence sequence => sequence.Items.Aggregate((int?)0, (sum, item) => sum + MaxWidth(item)),
        Alternation alternation => alternation.Branches.Aggregate((int?)0, (max, item) => MaxWidth(item) is { } width && max is { } m ? Math.Max(m, width) : null),
        Repeat { Max: >= 0 } repeat => MaxWidth(repeat.Inner) * repeat.Max,
        _ => null,
    };

    /// <summary>
    /// Whether .NET's first match may be shorter than the longest one: greedy repetitions of single characters
    /// always give the longest match, alternations, repeated groups and back-references may not.
    /// </summary>
    private static bool IsAmbiguous(Node node) => node switch
    {
        Alternation => true,
        BackReference => true,
        Group group => IsAmbiguous(group.Inner),
        Sequence sequence => sequence.Items.Any(IsAmbiguous),
        Repeat repeat => repeat.Inner is not (Literal or AnyChar) || IsAmbiguous(repeat.Inner),
        _ => false,
    };

    /// <summary>Strings as musl's mbtowc sees them in C.UTF-8, with the way back to byte offsets.</summary>
    private static class Utf8
    {
        private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

        /// <summary>The characters of a Latin-1 byte string read as UTF-8, or null when it is not valid UTF-8.</summary>
        public static string? Decode(string bytes)
        {
            if (Ascii.IsValid(bytes))
                return bytes;
            try
            {
                var text = Strict.GetString(ShellText.Encode(bytes));
                return text.Any(char.IsSurrogate)
                    ? throw new NotEmulatedException("characters outside the Basic Multilingual Plane in a regular expression are not emulated")
                    : text;
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        public static Subject Subject(string bytes)
        {
            if (Ascii.IsValid(bytes))
                return new Subject(bytes, null);
            var text = Decode(bytes)
                ?? throw new NotEmulatedException("matching a regular expression against bytes that are not UTF-8 is not emulated");
            var offsets = new int[text.Length + 1];
            for (var i = 0; i < text.Length; i++)
                offsets[i + 1] = offsets[i] + (text[i] < 0x80 ? 1 : text[i] < 0x800 ? 2 : 3);
            return new Subject(text, offsets);
        }
    }

    private readonly record struct Subject(string Text, int[]? Offsets)
    {
        public int Offset(int index) => Offsets is null ? index : Offsets[index];
    }
}
