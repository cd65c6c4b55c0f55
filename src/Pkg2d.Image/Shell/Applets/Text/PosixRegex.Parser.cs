using System.Text;

namespace Pkg2d.Image.Shell;

// The pattern's syntax, as musl 1.2.5's regcomp reads it.
internal sealed partial class PosixRegex
{
    /// <summary>musl's tre_parse, building a tree instead of TRE's AST; errors carry regerror's messages.</summary>
    private sealed class Parser(string re, bool ere, bool icase)
    {
        private int _pos;
        private int _maxBackReference;
        private readonly HashSet<int> _open = [];

        public int GroupCount { get; private set; }

        public Node Parse()
        {
            var root = ParseAlternation(0);
            if (_pos < re.Length)
                throw Error("Missing ')'"); // a BRE `\)` without its `\(`
            if (_maxBackReference > GroupCount)
                throw Error("Invalid back reference");
            return root;
        }

        private static PosixRegexException Error(string message) => new(message);

        private char Peek(int ahead = 0) => _pos + ahead < re.Length ? re[_pos + ahead] : '\0';

        private bool AtEnd => _pos >= re.Length;

        private bool AtAlternation => ere ? Peek() == '|' : Peek() == '\\' && Peek(1) == '|';

        private bool AtClose(int depth) => ere ? Peek() == ')' && depth > 0 : Peek() == '\\' && Peek(1) == ')';

        private Node ParseAlternation(int depth)
        {
            var branches = new List<Node> { ParseBranch(depth) };
            while (AtAlternation)
            {
                _pos += ere ? 1 : 2;
                branches.Add(ParseBranch(depth));
            }
            return branches.Count == 1 ? branches[0] : new Alternation(branches);
        }

        private Node ParseBranch(int depth)
        {
            var start = _pos; // ctx->start: where a BRE `^` is an anchor
            var items = new List<Node>();
            while (!AtEnd && !AtAlternation && !AtClose(depth))
            {
                var atom = ParseAtom(depth, start);
                items.Add(ParseRepetitions(atom, start));
            }
            return items.Count == 1 ? items[0] : new Sequence(items);
        }

        private Node ParseAtom(int depth, int start)
        {
            var c = Peek();
            if (ere ? c == '(' : c == '\\' && Peek(1) == '(')
            {
                _pos += ere ? 1 : 2;
                var index = ++GroupCount;
                _open.Add(index);
                var inner = ParseAlternation(depth + 1);
                _open.Remove(index);
                if (!AtClose(depth + 1))
                    throw Error("Missing ')'");
                _pos += ere ? 1 : 2;
                return new Group(index, inner);
            }
            switch (c)
            {
                case '[':
                    _pos++;
                    return ParseBracket();
                case '\\':
                    return ParseEscape();
                case '.':
                    _pos++;
                    return new AnyChar();
                case '^' when ere || _pos == start:
                    _pos++;
                    return new Assertion(AssertionKind.LineStart);
                case '$' when ere || _pos + 1 == re.Length || (Peek(1) == '\\' && Peek(2) is ')' or '|'):
                    _pos++;
                    return new Assertion(AssertionKind.LineEnd);
                case '*' or '{' or '+' or '?' when ere:
                    throw Error("Repetition not preceded by valid expression");
                default:
                    _pos++;
                    return Literal(c);
            }
        }

        private Node ParseEscape()
        {
            if (_pos + 1 >= re.Length)
                throw Error("Trailing backslash");
            var c = re[_pos + 1];
            _pos += 2;
            switch (c)
            {
                case 't': return Literal('\t');
                case 'n': return Literal('\n');
                case 'r': return Literal('\r');
                case 'f': return Literal('\f');
                case 'a': return Literal('\a');
                case 'e': return Literal('\u001b');
                case 'w': return Bracket("[:alnum:]_]", negated: false);
                case 'W': return Bracket("[:alnum:]_]", negated: true);
                case 's': return Bracket("[:space:]]", negated: false);
                case 'S': return Bracket("[:space:]]", negated: true);
                case 'd': return Bracket("[:digit:]]", negated: false);
                case 'D': return Bracket("[:digit:]]", negated: true);
                case 'b': return new Assertion(AssertionKind.WordBoundary);
                case 'B': return new Assertion(AssertionKind.NotWordBoundary);
                case '<': return new Assertion(AssertionKind.WordStart);
                case '>': return new Assertion(AssertionKind.WordEnd);
                case 'x': return HexLiteral();
                case '{' or '+' or '?' when !ere:
                    throw Error("Repetition not preceded by valid expression");
                case >= '1' and <= '9' when !ere:
                    if (_open.Contains(c - '0'))
                        throw new NotEmulatedException($"a back-reference inside its own group (\\{c}) is not emulated");
                    _maxBackReference = Math.Max(_maxBackReference, c - '0');
                    return new BackReference(c - '0');
                default:
                    return Literal(c);
            }
        }

        private Node HexLiteral()
        {
            var braced = Peek() == '{';
            if (braced)
                _pos++;
            var value = 0;
            for (var i = 0; i < (braced ? 8 : 2) && value < 0x110000 && Uri.IsHexDigit(Peek()); i++)
                value = value * 16 + Convert.ToInt32(re[_pos++].ToString(), 16);
            if (braced && Peek() != '}')
                throw Error("Missing '}'");
            if (braced)
                _pos++;
            if (value > 0xFFFF)
                throw new NotEmulatedException($"the regular expression escape \\x{value:x} is not emulated");
            return Literal((char)value);
        }

        private Node ParseRepetitions(Node atom, int start)
        {
            while (true)
            {
                var c = Peek();
                int min, max;
                if (c == '*')
                {
                    // A BRE's `^*` is an anchor and a literal star.
                    if (!ere && _pos == start + 1 && re[_pos - 1] == '^')
                        return atom;
                    _pos++;
                    (min, max) = (0, -1);
                }
                else if (ere && c is '+' or '?')
                {
                    _pos++;
                    (min, max) = c == '+' ? (1, -1) : (0, 1);
                }
                else if (!ere && c == '\\' && Peek(1) is '+' or '?')
                {
                    (min, max) = Peek(1) == '+' ? (1, -1) : (0, 1);
                    _pos += 2;
                }
                else if (ere ? c == '{' : c == '\\' && Peek(1) == '{')
                {
                    _pos += ere ? 1 : 2;
                    (min, max) = ParseBounds();
                }
                else
                {
                    return atom;
                }
                atom = new Repeat(atom, min, max);
            }
        }

        private (int Min, int Max) ParseBounds()
        {
            var min = Count();
            var max = min;
            if (Peek() == ',')
            {
                _pos++;
                max = Count();
            }
            if ((max < min && max >= 0) || max > DupMax || min > DupMax || min < 0)
                throw Error("Invalid contents of {}");
            if (!ere && Peek() != '\\')
                throw Error("Invalid contents of {}");
            if (!ere)
                _pos++;
            if (Peek() != '}')
                throw Error("Invalid contents of {}");
            _pos++;
            return (min, max);
        }

        private int Count()
        {
            if (!char.IsAsciiDigit(Peek()))
                return -1;
            var n = 0;
            do
                n = 10 * n + (re[_pos++] - '0');
            while (char.IsAsciiDigit(Peek()) && n <= DupMax);
            return n;
        }

        private Node ParseBracket()
        {
            var negated = Peek() == '^';
            if (negated)
                _pos++;
            var node = Bracket(re[_pos..], negated, out var used);
            _pos += used;
            return node;
        }

        private Node Bracket(string terms, bool negated) => Bracket(terms, negated, out _);

        /// <summary>musl's parse_bracket_terms over <paramref name="terms"/> (the text after `[` or `[^`).</summary>
        private Node Bracket(string terms, bool negated, out int used)
        {
            var body = new StringBuilder();
            var i = 0;
            while (true)
            {
                if (i >= terms.Length)
                    throw Error("Missing ']'");
                var c = terms[i];
                if (c == ']' && i > 0)
                {
                    used = i + 1;
                    break;
                }
                var next = i + 1 < terms.Length ? terms[i + 1] : '\0';
                if (c == '-' && i > 0 && next != ']' && (next != '-' || (i + 2 < terms.Length && terms[i + 2] == ']')))
                    throw Error("Invalid character range");
                if (c == '[' && next is '.' or '=')
                    throw Error("Unknown collating element");
                if (c == '[' && next == ':')
                {
                    var close = terms.IndexOf(':', i + 2);
                    var name = close > 0 && close - (i + 2) <= 14 ? terms[(i + 2)..close] : null;
                    var classBody = name is null ? null : ClassBody(name);
                    if (classBody is null || close + 1 >= terms.Length || terms[close + 1] != ']')
                        throw Error("Unknown character class name");
                    body.Append(classBody);
                    i = close + 2;
                    continue;
                }
                var (min, max) = (c, c);
                i++;
                if (i < terms.Length && terms[i] == '-' && i + 1 < terms.Length && terms[i + 1] != ']')
                {
                    max = terms[i + 1];
                    i += 2;
                    if (min > max)
                        throw Error("Invalid character range");
                }
                AppendRange(body, min, max);
                if (icase)
                    AppendOppositeCase(body, min, max);
            }
            return new Literal((negated ? "[^" : "[") + body + "]");
        }

        private string? ClassBody(string name) => name switch
        {
            "alnum" => @"\p{L}0-9",
            "alpha" => @"\p{L}",
            "blank" => @" \t",
            "cntrl" => @"\x00-\x1f\x7f-\x9f\u2028\u2029\ufff9-\ufffb",
            "digit" => "0-9",
            "graph" => @"\x21-\x7e\u00a0-\u167f\u1681-\u1fff\u2007\u200b-\u2027\u202a-\u205e\u2060-\u2fff\u3001-\ud7ff\ue000-\ufff8\ufffc\ufffd",
            "lower" => icase ? @"\p{Lu}\p{Ll}\p{Lt}" : @"\p{Ll}\p{Lt}",
            "print" => @"\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufff8\ufffc\ufffd",
            "punct" => @"!-/:-@\[-`{-~\p{P}\p{S}",
            "space" => @"\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000",
            "upper" => icase ? @"\p{Lu}\p{Ll}\p{Lt}" : @"\p{Lu}\p{Lt}",
            "xdigit" => "0-9A-Fa-f",
            _ => null,
        };

        private Node Literal(char c)
        {
            if (icase && Cases(c) is { } cases)
                return new Literal("[" + Escape(cases.Upper) + Escape(cases.Lower) + "]");
            return new Literal(Escape(c));
        }

        /// <summary>A letter's upper and lower case, or null for a character without case (musl's tre_isupper/islower).</summary>
        private static (char Upper, char Lower)? Cases(char c)
        {
            var (upper, lower) = (char.ToUpperInvariant(c), char.ToLowerInvariant(c));
            return upper != c || lower != c ? (upper, lower) : null;
        }

        private static void AppendRange(StringBuilder body, char min, char max)
        {
            body.Append(Escape(min));
            if (max != min)
                body.Append('-').Append(Escape(max));
        }

        /// <summary>musl's add_icase_literals: every letter of the range brings its other case.</summary>
        private static void AppendOppositeCase(StringBuilder body, char min, char max)
        {
            for (var c = (int)min; c <= max; c++)
            {
                if (Cases((char)c) is { } cases)
                    body.Append(Escape(cases.Upper)).Append(Escape(cases.Lower));
            }
        }

        private static string Escape(char c) => char.IsAsciiLetterOrDigit(c) ? c.ToString() : $@"\u{(int)c:x4}";
    }
}
