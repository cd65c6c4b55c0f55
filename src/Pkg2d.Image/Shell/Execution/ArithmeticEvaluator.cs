using System.Globalization;
using System.Runtime.CompilerServices;

namespace Pkg2d.Image.Shell;

/// <summary>An arithmetic expression ash refuses (`divide by zero`, a syntax error): the shell reports it and exits 2.</summary>
internal sealed class ShellArithmeticException(string message) : Exception(message);

/// <summary>
/// Evaluates `$((...))` as busybox ash's math does: signed 64-bit integers, C operators and precedence, variables by
/// name (unset or empty is 0; a value that is not a number is evaluated as an expression), assignments and `++`/`--`.
/// </summary>
internal sealed class ArithmeticEvaluator
{
    private const int MaxDepth = 32;

    private readonly Func<string, string?> _get;
    private readonly Action<string, string> _set;
    private readonly int _depth;
    private string _text = "";
    private int _at;

    // Parentheses, unary operators, assignments and `?:` open around the position, with those of the expressions
    // whose values led here (a variable's value is an expression too): each is a recursion, bounded by
    // ShellParser.NestingLimit.
    private int _nesting;

    public ArithmeticEvaluator(Func<string, string?> get, Action<string, string> set, int depth = 0, int nesting = 0)
    {
        _get = get;
        _set = set;
        _depth = depth;
        _nesting = nesting;
    }

    public long Evaluate(string expression)
    {
        _text = expression;
        _at = 0;
        SkipBlanks();
        if (_at == _text.Length)
            return 0;
        var value = Assignment(evaluate: true);
        SkipBlanks();
        if (_at < _text.Length)
            throw new ShellArithmeticException($"arithmetic syntax error");
        return value;
    }

    // Each level takes `evaluate`: the untaken side of && || ?: is parsed but has no effect.
    private long Assignment(bool evaluate)
    {
        // An error ends the whole evaluation, so the count needs no restoring then.
        Enter();
        var value = AssignmentOrConditional(evaluate);
        _nesting--;
        return value;
    }

    private void Enter()
    {
        if (++_nesting > ShellParser.NestingLimit || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new NotEmulatedException($"an arithmetic expression nests more than {ShellParser.NestingLimit} deep, not emulated");
    }

    private long AssignmentOrConditional(bool evaluate)
    {
        var start = _at;
        if (Name() is { } name)
        {
            SkipBlanks();
            foreach (var op in (string[])["=", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="])
            {
                if (Peek(op) && !(op == "=" && Peek("==")))
                {
                    _at += op.Length;
                    var right = Assignment(evaluate);
                    if (!evaluate)
                        return 0;
                    var value = op == "=" ? right : Binary(op[..^1], Variable(name), right);
                    _set(name, value.ToString(CultureInfo.InvariantCulture));
                    return value;
                }
            }
        }
        _at = start;
        return Conditional(evaluate);
    }

    private long Conditional(bool evaluate)
    {
        var condition = Binary(0, evaluate);
        SkipBlanks();
        if (!Peek("?"))
            return condition;
        _at++;
        var then = Assignment(evaluate && condition != 0);
        SkipBlanks();
        if (!Peek(":"))
            throw new ShellArithmeticException("arithmetic syntax error");
        _at++;
        Enter();
        var otherwise = Conditional(evaluate && condition == 0);
        _nesting--;
        return condition != 0 ? then : otherwise;
    }

    private static readonly string[][] Levels =
    [
        ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<=", ">=", "<", ">"], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private long Binary(int level, bool evaluate)
    {
        if (level == Levels.Length)
            return Unary(evaluate);
        var left = Binary(level + 1, evaluate);
        while (true)
        {
            SkipBlanks();
            var op = Levels[level].FirstOrDefault(o => Peek(o) && !IsLonger(o));
            if (op is null)
                return left;
            _at += op.Length;
            if (op == "||")
            {
                var right = Binary(level + 1, evaluate && left == 0);
                left = left != 0 || right != 0 ? 1 : 0;
                continue;
            }
            if (op == "&&")
            {
                var right = Binary(level + 1, evaluate && left != 0);
                left = left != 0 && right != 0 ? 1 : 0;
                continue;
            }
            var value = Binary(level + 1, evaluate);
            left = evaluate ? Binary(op, left, value) : 0;
        }
    }

    /// <summary>`|` must not take the first half of `||` (nor `<` of `<<`, `&` of `&&`, or any of an assignment).</summary>
    private bool IsLonger(string op)
    {
        var next = _at + op.Length < _text.Length ? _text[_at + op.Length] : '\0';
        return op switch
        {
            "|" => next is '|' or '=',
            "&" => next is '&' or '=',
            "<" => next is '<' or '=',
            ">" => next is '>' or '=',
            "<<" or ">>" => next == '=',
            "+" or "-" => next == '=' || next == op[0],
            "*" or "/" or "%" or "^" => next == '=',
            _ => false,
        };
    }

    private static long Binary(string op, long left, long right) => op switch
    {
        "|" => left | right,
        "^" => left ^ right,
        "&" => left & right,
        "==" => left == right ? 1 : 0,
        "!=" => left != right ? 1 : 0,
        "<=" => left <= right ? 1 : 0,
        ">=" => left >= right ? 1 : 0,
        "<" => left < right ? 1 : 0,
        ">" => left > right ? 1 : 0,
        "<<" => left << (int)(right & 63),
        ">>" => left >> (int)(right & 63),
        "+" => unchecked(left + right),
        "-" => unchecked(left - right),
        "*" => unchecked(left * right),
        "/" => right == 0 ? throw new ShellArithmeticException("divide by zero") : left == long.MinValue && right == -1 ? left : left / right,
        "%" => right == 0 ? throw new ShellArithmeticException("divide by zero") : right == -1 ? 0 : left % right,
        _ => throw new ShellArithmeticException("arithmetic syntax error"),
    };

    private long Unary(bool evaluate)
    {
        SkipBlanks();
        if ((Peek("++") || Peek("--")) && NameFollows(_at + 2))
        {
            var increment = _text[_at] == '+' ? 1 : -1;
            _at += 2;
            SkipBlanks();
            var name = Name() ?? throw new ShellArithmeticException("arithmetic syntax error");
            var value = Variable(name) + increment;
            if (evaluate)
                _set(name, value.ToString(CultureInfo.InvariantCulture));
            return value;
        }
        if (_at < _text.Length && _text[_at] is '+' or '-' or '!' or '~')
        {
            var op = _text[_at++];
            Enter();
            var operand = Unary(evaluate);
            _nesting--;
            return op switch { '-' => unchecked(-operand), '!' => operand == 0 ? 1 : 0, '~' => ~operand, _ => operand };
        }
        return Primary(evaluate);
    }

    private long Primary(bool evaluate)
    {
        SkipBlanks();
        if (_at >= _text.Length)
            throw new ShellArithmeticException("arithmetic syntax error");
        if (_text[_at] == '(')
        {
            _at++;
            var value = Assignment(evaluate);
            SkipBlanks();
            if (!Peek(")"))
                throw new ShellArithmeticException("arithmetic syntax error");
            _at++;
            return value;
        }
        if (char.IsAsciiDigit(_text[_at]))
            return Number();
        var name = Name() ?? throw new ShellArithmeticException("arithmetic syntax error");
        var current = Variable(name);
        SkipBlanks();
        if (Peek("++") || Peek("--"))
        {
            var increment = _text[_at] == '+' ? 1 : -1;
            _at += 2;
            if (evaluate)
                _set(name, (current + increment).ToString(CultureInfo.InvariantCulture));
        }
        return current;
    }

    private long Number()
    {
        var start = _at;
        while (_at < _text.Length && char.IsAsciiLetterOrDigit(_text[_at]))
            _at++;
        return ParseNumber(_text[start.._at]) ?? throw new ShellArithmeticException("arithmetic syntax error");
    }

    /// <summary>A C integer literal: decimal, `0x` hexadecimal or `0` octal.</summary>
    public static long? ParseNumber(string text)
    {
        try
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && text.Length > 2)
                return unchecked((long)ulong.Parse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            if (text.Length > 1 && text[0] == '0' && text.All(c => c is >= '0' and <= '7'))
                return Convert.ToInt64(text, 8);
            return text.Length > 0 && text.All(char.IsAsciiDigit) ? long.Parse(text, CultureInfo.InvariantCulture) : null;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    private long Variable(string name)
    {
        var value = _get(name)?.Trim(' ', '\t', '\n');
        if (string.IsNullOrEmpty(value))
            return 0;
        if (value[0] == '-' && ParseNumber(value[1..]) is { } negative)
            return -negative;
        if (ParseNumber(value.TrimStart('+')) is { } number)
            return number;
        if (_depth >= MaxDepth)
            throw new ShellArithmeticException("expression recursion loop detected");
        return new ArithmeticEvaluator(_get, _set, _depth + 1, _nesting).Evaluate(value);
    }

    /// <summary>Whether a name starts at <paramref name="at"/> (after blanks): `--x` decrements, `--1` negates twice.</summary>
    private bool NameFollows(int at)
    {
        while (at < _text.Length && _text[at] is ' ' or '\t' or '\n')
            at++;
        return at < _text.Length && (char.IsAsciiLetter(_text[at]) || _text[at] == '_');
    }

    private string? Name()
    {
        SkipBlanks();
        if (_at >= _text.Length || !(char.IsAsciiLetter(_text[_at]) || _text[_at] == '_'))
            return null;
        var start = _at;
        while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] == '_'))
            _at++;
        return _text[start.._at];
    }

    private bool Peek(string op) => string.CompareOrdinal(_text, _at, op, 0, op.Length) == 0;

    private void SkipBlanks()
    {
        while (_at < _text.Length && _text[_at] is ' ' or '\t' or '\n')
            _at++;
    }
}
