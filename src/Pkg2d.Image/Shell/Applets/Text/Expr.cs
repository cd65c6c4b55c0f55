using System.Globalization;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's expr, from coreutils/expr.c: `|` `&amp;`, comparisons (numeric when both sides are integers,
/// else strcmp), `+ - * / %` on 64-bit integers (wrapping), `:` and `match` (a BRE anchored at the start: the
/// first subexpression, or the length matched), `length` `substr` `index` `quote`, parentheses. Status 0, 1 when
/// the result is 0 or empty, 2 for an error.
/// </summary>
internal sealed class Expr
{
    private readonly AppletContext _context;
    private readonly IReadOnlyList<string> _args;
    private int _next;

    private Expr(AppletContext context)
    {
        _context = context;
        _args = context.Arguments;
    }

    /// <summary>A value: an integer or a string (strings that look like integers become integers where needed).</summary>
    private sealed class Value
    {
        public long Integer;
        public string? Text;

        public bool IsInteger => Text is null;

        public static Value Of(long integer) => new() { Integer = integer };

        public static Value Of(string text) => new() { Text = text };

        /// <summary>null(): zero, the empty string or "0".</summary>
        public bool IsNull => IsInteger ? Integer == 0 : Text is "" or "0";

        public string AsString() => Text ?? Integer.ToString(CultureInfo.InvariantCulture);

        /// <summary>toarith: a string that strtoll reads whole becomes an integer.</summary>
        public bool ToInteger()
        {
            if (IsInteger)
                return true;
            if (Strtoll(Text!) is not { } n)
                return false;
            (Integer, Text) = (n, null);
            return true;
        }
    }

    /// <summary>bb_error_msg_and_die with expr's status 2.</summary>
    private sealed class Failure(string message) : Exception(message);

    public static int Run(AppletContext context)
    {
        var expr = new Expr(context);
        try
        {
            if (context.Arguments.Count == 0)
                throw new Failure("too few arguments");
            var value = expr.Or();
            if (expr._next < expr._args.Count)
                throw new Failure("syntax error");
            context.Output.Write(value.AsString() + "\n");
            return value.IsNull ? 1 : 0;
        }
        catch (Failure failure)
        {
            return context.Fail(failure.Message, 2);
        }
    }

    private bool Next(string token) => _next < _args.Count && _args[_next] == token;

    private Value Or()
    {
        var left = And();
        while (Next("|"))
        {
            _next++;
            var right = And();
            if (left.IsNull)
                left = right;
        }
        return left;
    }

    private Value And()
    {
        var left = Comparison();
        while (Next("&"))
        {
            _next++;
            var right = Comparison();
            if (left.IsNull || right.IsNull)
                left = Value.Of(0);
        }
        return left;
    }

    private Value Comparison()
    {
        var left = Sum();
        while (new[] { "<", "<=", "=", "==", "!=", ">=", ">" }.FirstOrDefault(Next) is { } op)
        {
            _next++;
            var right = Sum();
            left.ToInteger();
            right.ToInteger();
            var (l, r) = left.IsInteger && right.IsInteger
                ? (left.Integer, right.Integer)
                : (string.CompareOrdinal(left.AsString(), right.AsString()), 0L);
            left = Value.Of(op switch
            {
                "<" => l < r,
                "<=" => l <= r,
                "=" or "==" => l == r,
                "!=" => l != r,
                ">" => l > r,
                _ => l >= r,
            } ? 1 : 0);
        }
        return left;
    }

    private Value Sum()
    {
        var left = Product();
        while (Next("+") || Next("-"))
        {
            var op = _args[_next++];
            left = Value.Of(Arithmetic(left, Product(), op));
        }
        return left;
    }

    private Value Product()
    {
        var left = Match();
        while (Next("*") || Next("/") || Next("%"))
        {
            var op = _args[_next++];
            left = Value.Of(Arithmetic(left, Match(), op));
        }
        return left;
    }

    private long Arithmetic(Value left, Value right, string op)
    {
        if (!left.ToInteger() || !right.ToInteger())
            throw new Failure("non-numeric argument");
        var (l, r) = (left.Integer, right.Integer);
        if (op is "/" or "%" && r == 0)
            throw new Failure("division by zero");
        if (op is "/" or "%" && l == long.MinValue && r == -1)
            throw _context.NotEmulated($"{l} {op} -1 (a SIGFPE)");
        return unchecked(op switch
        {
            "+" => l + r,
            "-" => l - r,
            "*" => l * r,
            "/" => l / r,
            _ => l % r,
        });
    }

    private Value Match()
    {
        var left = Keyword();
        while (Next(":"))
        {
            _next++;
            left = Colon(left, Keyword());
        }
        return left;
    }

    private Value Keyword()
    {
        var keyword = _next < _args.Count ? _args[_next] : null;
        if (keyword is not ("quote" or "length" or "match" or "index" or "substr"))
            return Atom();
        _next++;
        switch (keyword)
        {
            case "quote":
                return _next < _args.Count ? Value.Of(_args[_next++]) : throw new Failure("syntax error");
            case "length":
                return Value.Of(Keyword().AsString().Length);
            case "match":
                var text = Keyword();
                return Colon(text, Keyword());
            case "index":
                var (haystack, chars) = (Keyword().AsString(), Keyword().AsString());
                var at = haystack.IndexOfAny(chars.ToCharArray());
                return Value.Of(at < 0 ? 0 : at + 1);
            default:
                var (source, position, length) = (Keyword(), Keyword(), Keyword());
                var s = source.AsString();
                if (!position.ToInteger() || !length.ToInteger() || position.Integer > s.Length || position.Integer <= 0 || length.Integer <= 0)
                    return Value.Of("");
                var start = (int)position.Integer - 1;
                return Value.Of(s.Substring(start, (int)Math.Min(length.Integer, s.Length - start)));
        }
    }

    private Value Atom()
    {
        if (_next >= _args.Count)
            throw new Failure("syntax error");
        if (Next("("))
        {
            _next++;
            var value = Or();
            if (!Next(")"))
                throw new Failure("syntax error");
            _next++;
            return value;
        }
        if (Next(")"))
            throw new Failure("syntax error");
        return Value.Of(_args[_next++]);
    }

    /// <summary>docolon: the regex matched from the start of the string: group 1, or the length matched.</summary>
    private Value Colon(Value text, Value pattern)
    {
        var (s, p) = (text.AsString(), pattern.AsString());
        if (p.StartsWith('^'))
            _context.Error.Write($"expr: warning: '{p}': using '^' as the first character\nof a basic regular expression is not portable; it is ignored\n");
        PosixRegex regex;
        try
        {
            regex = PosixRegex.Compile(p, extended: false, ignoreCase: false);
        }
        catch (PosixRegexException e)
        {
            throw new Failure($"bad regex '{p}': {e.Message}");
        }
        if (regex.Match(s) is { } match && match[0].Start == 0)
        {
            return regex.Groups > 0 && match[1].Start >= 0
                ? Value.Of(s[match[1].Start..match[1].End])
                : Value.Of(match[0].End);
        }
        return regex.Groups > 0 ? Value.Of("") : Value.Of(0);
    }

    /// <summary>strtoll over the whole string: blanks, a sign, digits; clamped as strtoll clamps.</summary>
    private static long? Strtoll(string text)
    {
        var p = 0;
        while (p < text.Length && text[p] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r')
            p++;
        var negative = false;
        if (p < text.Length && text[p] is '+' or '-')
            negative = text[p++] == '-';
        if (p >= text.Length || !text[p..].All(char.IsAsciiDigit))
            return null;
        var magnitude = System.Numerics.BigInteger.Parse(text[p..], CultureInfo.InvariantCulture);
        var value = negative ? -magnitude : magnitude;
        return value > long.MaxValue ? long.MaxValue : value < long.MinValue ? long.MinValue : (long)value;
    }
}
