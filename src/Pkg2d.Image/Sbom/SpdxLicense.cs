using System.Globalization;
using System.Text;
using Pkg2d.Apk.Index;

namespace Pkg2d.Image.Sbom;

/// <summary>
/// The syntax of SPDX license expressions (SPDX 2.3 annex D): license ids (`[A-Za-z0-9.-]+`, optionally followed by
/// `+`), `LicenseRef-idstring`, `DocumentRef-idstring:LicenseRef-idstring`, the operators AND, OR and WITH (whose
/// right side is an exception id) and parentheses. Only the syntax is checked: an id need not be on the SPDX list.
/// </summary>
public static class SpdxLicense
{
    private const string LicenseRefPrefix = "LicenseRef-";
    private const string DocumentRefPrefix = "DocumentRef-";

    /// <summary>
    /// The expression as an SPDX document writes it, or null when <paramref name="text"/> is not one. Alpine's older
    /// index records join licenses with lower-case `and` / `or` (and `with`): those operators are accepted and made
    /// upper case; nothing else of the text changes (spacing included), apart from surrounding white space.
    /// Mixed-case operators (`And`) are not operators, so they make the text invalid.
    /// </summary>
    public static string? Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Tokenize(text);
        if (tokens.Count == 0)
            return null;
        var position = 0;
        if (!Expression(tokens, ref position, depth: 0) || position != tokens.Count)
            return null;
        var result = new StringBuilder(text);
        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Operator)
                result.Remove(token.Start, token.Text.Length).Insert(token.Start, token.Text.ToUpperInvariant());
        }
        return result.ToString().Trim();
    }

    public static bool IsValid(string text) => Normalize(text) is not null;

    /// <summary>The license references (`LicenseRef-x`, `DocumentRef-d:LicenseRef-x`) a valid expression names, in order.</summary>
    public static IReadOnlyList<string> References(string expression) =>
        [.. Tokenize(expression).Where(t => t.Kind == TokenKind.Word && IsReference(t.Text)).Select(t => t.Text).Distinct(StringComparer.Ordinal)];

    /// <summary>`[A-Za-z0-9.-]+`: what follows `LicenseRef-` and `DocumentRef-`.</summary>
    public static bool IsIdString(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            return false;
        foreach (var c in text)
        {
            if (!IsIdChar(c))
                return false;
        }
        return true;
    }

    /// <summary>
    /// An idstring made of any text: every run of characters outside `[A-Za-z0-9.-]` becomes one '-', and leading or
    /// trailing '-' go (`GPL2+ custom` → `GPL2-custom`); "unknown" when nothing is left.
    /// </summary>
    public static string ToIdString(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (IsIdChar(c))
                result.Append(c);
            else if (result.Length > 0 && result[^1] != '-')
                result.Append('-');
        }
        var id = result.ToString().Trim('-');
        return id.Length == 0 ? "unknown" : id;
    }

    internal static bool IsIdChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '-';

    private enum TokenKind { Open, Close, Operator, Word }

    private readonly record struct Token(TokenKind Kind, string Text, int Start);

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
                i++;
            else if (c is '(' or ')')
                tokens.Add(new Token(c == '(' ? TokenKind.Open : TokenKind.Close, c.ToString(), i++));
            else
            {
                var start = i;
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('(' or ')'))
                    i++;
                var word = text[start..i];
                var kind = word is "AND" or "OR" or "WITH" or "and" or "or" or "with" ? TokenKind.Operator : TokenKind.Word;
                tokens.Add(new Token(kind, word, start));
            }
        }
        return tokens;
    }

    // expression := primary (("AND" | "OR") primary)*
    private static bool Expression(List<Token> tokens, ref int position, int depth)
    {
        if (depth > 64 || !Primary(tokens, ref position, depth))
            return false;
        while (position < tokens.Count && IsOperator(tokens[position], "AND", "OR"))
        {
            position++;
            if (!Primary(tokens, ref position, depth))
                return false;
        }
        return true;
    }

    // primary := "(" expression ")" | simple ["WITH" exception-id]
    private static bool Primary(List<Token> tokens, ref int position, int depth)
    {
        if (position >= tokens.Count)
            return false;
        var token = tokens[position];
        if (token.Kind == TokenKind.Open)
        {
            position++;
            if (!Expression(tokens, ref position, depth + 1) || position >= tokens.Count || tokens[position].Kind != TokenKind.Close)
                return false;
            position++;
            return true;
        }
        if (token.Kind != TokenKind.Word || !IsSimple(token.Text))
            return false;
        position++;
        if (position < tokens.Count && IsOperator(tokens[position], "WITH"))
        {
            position++;
            if (position >= tokens.Count || tokens[position].Kind != TokenKind.Word || !IsExceptionId(tokens[position].Text))
                return false;
            position++;
        }
        return true;
    }

    private static bool IsOperator(Token token, params string[] names) =>
        token.Kind == TokenKind.Operator && names.Contains(token.Text.ToUpperInvariant());

    // simple := license-id ["+"] | ["DocumentRef-" idstring ":"] "LicenseRef-" idstring
    private static bool IsSimple(string word)
    {
        if (IsReference(word))
            return true;
        if (word.StartsWith(LicenseRefPrefix, StringComparison.Ordinal) || word.StartsWith(DocumentRefPrefix, StringComparison.Ordinal))
            return false;
        var id = word.EndsWith('+') ? word.AsSpan(0, word.Length - 1) : word.AsSpan();
        return IsIdString(id);
    }

    private static bool IsExceptionId(string word) =>
        IsIdString(word) && !word.StartsWith(LicenseRefPrefix, StringComparison.Ordinal) && !word.StartsWith(DocumentRefPrefix, StringComparison.Ordinal);

    private static bool IsReference(string word)
    {
        var span = word.AsSpan();
        if (span.StartsWith(DocumentRefPrefix, StringComparison.Ordinal))
        {
            var colon = span.IndexOf(':');
            if (colon < 0 || !IsIdString(span[DocumentRefPrefix.Length..colon]))
                return false;
            span = span[(colon + 1)..];
        }
        return span.StartsWith(LicenseRefPrefix, StringComparison.Ordinal) && IsIdString(span[LicenseRefPrefix.Length..]);
    }
}

/// <summary>
/// The declared licenses of a document's packages, from their `L:` fields, and the extracted licensing infos the
/// document must hold for them. A field that is an SPDX expression is kept (see <see cref="SpdxLicense.Normalize"/>);
/// every LicenseRef it names gets an extracted licensing info whose text is the field (an index holds no license
/// text). Any other field becomes `LicenseRef-&lt;its idstring&gt;` (one per distinct text, made unique with `-2`...),
/// its text the field as written. An expression naming a `DocumentRef-` is treated the same way, since the document
/// has no external document references to resolve it. No field: NOASSERTION.
/// </summary>
internal sealed class DeclaredLicenses
{
    private const string NoAssertion = "NOASSERTION";

    public readonly record struct Declared(string Expression, string? Comment);

    public sealed record Extraction(string LicenseId, string Text, string Name, string Comment);

    private DeclaredLicenses(IReadOnlyList<Declared> packages, IReadOnlyList<Extraction> extracted) =>
        (Packages, Extracted) = (packages, extracted);

    /// <summary>One per entry, in order.</summary>
    public IReadOnlyList<Declared> Packages { get; }

    /// <summary>Ordered by license id.</summary>
    public IReadOnlyList<Extraction> Extracted { get; }

    public static DeclaredLicenses Of(IReadOnlyList<ApkIndexEntry> entries)
    {
        // Expressions first: the LicenseRefs they name are taken before any is made for a text that is no expression.
        var expressions = new string?[entries.Count];
        var extracted = new Dictionary<string, Extraction>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var license = entries[i].License?.Trim();
            if (string.IsNullOrEmpty(license) || SpdxLicense.Normalize(license) is not { } expression)
                continue;
            var references = SpdxLicense.References(expression);
            if (references.Any(r => r.StartsWith("DocumentRef-", StringComparison.Ordinal)))
                continue;
            expressions[i] = expression;
            foreach (var reference in references)
            {
                extracted.TryAdd(reference, new Extraction(reference, license, reference["LicenseRef-".Length..],
                    $"Named by the license field (L:) of {entries[i]}; the package index holds no license text."));
            }
        }

        var made = new Dictionary<string, string>(StringComparer.Ordinal);
        var declared = new Declared[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var license = entries[i].License?.Trim();
            if (string.IsNullOrEmpty(license))
                declared[i] = new Declared(NoAssertion, null);
            else if (expressions[i] is { } expression)
            {
                declared[i] = new Declared(expression, expression == license ? null
                    : $"The license field (L:) reads \"{license}\"; its operators are written in upper case.");
            }
            else
            {
                if (!made.TryGetValue(license, out var id))
                {
                    id = Unique("LicenseRef-" + SpdxLicense.ToIdString(license), extracted.ContainsKey);
                    made.Add(license, id);
                    extracted.Add(id, new Extraction(id, license, license,
                        "The license field (L:) of the package index as written: it is no SPDX license expression."));
                }
                declared[i] = new Declared(id, $"The license field (L:) reads \"{license}\", which is no SPDX license expression.");
            }
        }
        return new DeclaredLicenses(declared, [.. extracted.Values.OrderBy(e => e.LicenseId, StringComparer.Ordinal)]);
    }

    /// <summary>The id, or the id followed by `-2`, `-3`...: the first that is not taken.</summary>
    public static string Unique(string id, Func<string, bool> taken)
    {
        if (!taken(id))
            return id;
        for (var n = 2; ; n++)
        {
            var candidate = $"{id}-{n.ToString(CultureInfo.InvariantCulture)}";
            if (!taken(candidate))
                return candidate;
        }
    }
}
