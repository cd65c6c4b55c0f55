using System.Globalization;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// `test` and `[` as busybox runs them (ash's builtin and the applet), on the simulated root and as root: -r and -w
/// hold for anything that exists, -x for anything with an execute bit. With up to four arguments the
/// POSIX rules decide the grouping; beyond that `!`, `-a`, `-o` and parentheses are parsed with the usual
/// precedence. Status 0 true, 1 false, 2 for an error. Modification times are not modelled.
/// </summary>
internal sealed class TestCommand
{
    private readonly RootFiles _files;
    private readonly string _workingDirectory;
    private readonly List<string> _arguments;
    private int _at;

    private TestCommand(RootFiles files, string workingDirectory, List<string> arguments)
    {
        _files = files;
        _workingDirectory = workingDirectory;
        _arguments = arguments;
    }

    private sealed class TestError(string message) : Exception(message);

    public static int Run(string name, IReadOnlyList<string> arguments, RootFiles files, string workingDirectory, ShellOutput error)
    {
        var list = arguments.ToList();
        if (name is "[" or "[[")
        {
            var close = name == "[" ? "]" : "]]";
            if (list.Count == 0 || list[^1] != close)
            {
                error.Write($"{name}: missing {close}\n");
                return 2;
            }
            list.RemoveAt(list.Count - 1);
        }
        try
        {
            return new TestCommand(files, workingDirectory, list).Evaluate() ? 0 : 1;
        }
        catch (TestError failure)
        {
            error.Write($"sh: {failure.Message}\n");
            return 2;
        }
    }

    private bool Evaluate()
    {
        var a = _arguments;
        switch (a.Count)
        {
            case 0:
                return false;
            case 1:
                return a[0].Length > 0;
            case 2:
                if (a[0] == "!")
                    return a[1].Length == 0;
                if (IsUnary(a[0]))
                    return Unary(a[0], a[1]);
                throw new TestError($"{a[0]}: unknown operand");
            case 3:
                if (IsBinary(a[1]))
                    return Binary(a[0], a[1], a[2]);
                if (a[0] == "!")
                    return !new TestCommand(_files, _workingDirectory, a[1..]).Evaluate();
                if (a[0] == "(" && a[2] == ")")
                    return a[1].Length > 0;
                break;
            case 4:
                if (a[0] == "!")
                    return !new TestCommand(_files, _workingDirectory, a[1..]).Evaluate();
                if (a[0] == "(" && a[3] == ")")
                    return new TestCommand(_files, _workingDirectory, a[1..3]).Evaluate();
                break;
        }
        var result = Or();
        if (_at < _arguments.Count)
            throw new TestError($"{_arguments[_at]}: unknown operand");
        return result;
    }

    private bool Or()
    {
        var value = And();
        while (Peek() == "-o")
        {
            _at++;
            value = And() || value;
        }
        return value;
    }

    private bool And()
    {
        var value = Not();
        while (Peek() == "-a")
        {
            _at++;
            value = Not() && value;
        }
        return value;
    }

    private bool Not()
    {
        if (Peek() == "!")
        {
            _at++;
            return !Not();
        }
        return Primary();
    }

    private bool Primary()
    {
        var token = Take() ?? throw new TestError("argument expected");
        if (token == "(" )
        {
            var value = Or();
            if (Take() != ")")
                throw new TestError("closing paren expected");
            return value;
        }
        if (IsUnary(token) && _at < _arguments.Count)
            return Unary(token, Take()!);
        if (Peek() is { } op && IsBinary(op) && _at + 1 < _arguments.Count)
        {
            _at++;
            return Binary(token, op, Take()!);
        }
        return token.Length > 0;
    }

    private string? Peek() => _at < _arguments.Count ? _arguments[_at] : null;

    private string? Take() => _at < _arguments.Count ? _arguments[_at++] : null;

    private static bool IsUnary(string op) => op.Length == 2 && op[0] == '-' && "efdLhsrwxbcpSgukOGnzt".Contains(op[1]);

    private static bool IsBinary(string op) =>
        op is "=" or "==" or "!=" or "<" or ">" or "-eq" or "-ne" or "-lt" or "-le" or "-gt" or "-ge" or "-nt" or "-ot" or "-ef";

    private bool Unary(string op, string operand)
    {
        switch (op[1])
        {
            case 'n':
                return operand.Length > 0;
            case 'z':
                return operand.Length == 0;
            case 't':
                throw new NotEmulatedException("'test -t' looks at a terminal");
        }
        if (operand.Length == 0)
            return false;
        var follow = op[1] is not ('L' or 'h');
        var real = _files.Real(_workingDirectory, operand, follow);
        var node = _files[real];
        // A symlink still there after following is a loop or dangling: stat fails.
        if (node is null || (follow && node.Kind == NodeKind.Symlink))
            return false;
        return op[1] switch
        {
            'e' or 'r' or 'w' => true,
            'f' => node.Kind == NodeKind.File,
            'd' => node.Kind == NodeKind.Directory,
            'L' or 'h' => node.Kind == NodeKind.Symlink,
            's' => node.Kind != NodeKind.File || Size(real, node) > 0,
            // As root, busybox's -x wants an execute bit, on directories too.
            'x' => (node.Mode & 0b001_001_001) != 0,
            'b' or 'c' or 'p' or 'S' => false,
            'g' => (node.Mode & 0b010_000_000_000) != 0,
            'u' => (node.Mode & 0b100_000_000_000) != 0,
            'k' => (node.Mode & 0b001_000_000_000) != 0,
            'O' => node.Uid == 0,
            'G' => node.Gid == 0,
            _ => throw new TestError($"{op}: unknown operand"),
        };
    }

    private long Size(string real, RootNode node) => node.Source switch
    {
        PackageEntrySource entry => entry.Entry.Size,
        GeneratedSource generated => generated.Content.Length,
        _ => _files.Read(real).Length,
    };

    private bool Binary(string left, string op, string right)
    {
        switch (op)
        {
            case "=" or "==":
                return left == right;
            case "!=":
                return left != right;
            case "<":
                return string.CompareOrdinal(left, right) < 0;
            case ">":
                return string.CompareOrdinal(left, right) > 0;
            case "-nt" or "-ot":
                throw new NotEmulatedException($"'test {op}' compares modification times, which are not modelled");
            case "-ef":
                var a = _files.Real(_workingDirectory, left);
                var b = _files.Real(_workingDirectory, right);
                return _files[a] is not null && a == b;
        }
        var x = Integer(left);
        var y = Integer(right);
        return op switch
        {
            "-eq" => x == y,
            "-ne" => x != y,
            "-lt" => x < y,
            "-le" => x <= y,
            "-gt" => x > y,
            _ => x >= y,
        };
    }

    private static long Integer(string text)
    {
        var trimmed = text.Trim(' ', '\t');
        if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            return value;
        throw new TestError(trimmed.Length > 0 && trimmed.TrimStart('-', '+').All(char.IsAsciiDigit) && trimmed.Length > 1
            ? $"{text}: out of range"
            : $"invalid number '{text}'");
    }
}
