using System.Text;

namespace Pkg2d.Oci.Distribution;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header (RFC 9110 §11.6.1): a scheme and its parameters, e.g.
/// <c>Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"</c>.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public bool IsBearer => Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase);

    public bool IsBasic => Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase);

    public string? this[string name] => Parameters.GetValueOrDefault(name);

    /// <summary>
    /// Every challenge in a header value; one value may hold several (<c>Basic realm="r", Bearer realm="t"</c>), and
    /// quoted parameters may hold commas. Malformed trailing text is ignored rather than failing the request.
    /// </summary>
    public static IReadOnlyList<AuthChallenge> Parse(string header)
    {
        var challenges = new List<AuthChallenge>();
        var at = 0;
        while (true)
        {
            SkipSeparators(header, ref at);
            var scheme = Token(header, ref at);
            if (scheme.Length == 0)
                return challenges;
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                var start = at;
                SkipSeparators(header, ref at);
                var name = Token(header, ref at);
                SkipSpaces(header, ref at);
                if (name.Length == 0 || at >= header.Length || header[at] != '=')
                {
                    at = start; // the next challenge's scheme, or the end
                    break;
                }
                at++;
                SkipSpaces(header, ref at);
                parameters[name] = at < header.Length && header[at] == '"' ? Quoted(header, ref at) : Token(header, ref at);
            }
            challenges.Add(new AuthChallenge(scheme, parameters));
        }
    }

    private static void SkipSpaces(string s, ref int at)
    {
        while (at < s.Length && s[at] is ' ' or '\t')
            at++;
    }

    private static void SkipSeparators(string s, ref int at)
    {
        while (at < s.Length && s[at] is ' ' or '\t' or ',')
            at++;
    }

    private static string Token(string s, ref int at)
    {
        var start = at;
        while (at < s.Length && IsTokenChar(s[at]))
            at++;
        return s[start..at];
    }

    private static string Quoted(string s, ref int at)
    {
        var value = new StringBuilder();
        for (at++; at < s.Length && s[at] != '"'; at++)
        {
            if (s[at] == '\\' && at + 1 < s.Length)
                at++;
            value.Append(s[at]);
        }
        at++; // the closing quote
        return value.ToString();
    }

    // RFC 9110 tchar, plus '/' so that token68-ish values and unquoted URLs are read whole.
    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~/:".Contains(c);
}
