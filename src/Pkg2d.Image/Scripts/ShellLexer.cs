using System.Text;

namespace Pkg2d.Image.Scripts;

/// <summary>
/// Reads a POSIX shell script one literal word or operator at a time. Only literal text is accepted: an expansion
/// (`$`, backticks, quoted or escaped glob characters, `~`) throws <see cref="NotEmulatedException"/> when it is
/// reached, so the parser reports the first construct in script order and never looks past an `exit`. Unquoted
/// globs and a word that is one `$(...)` are handed to the parser (<see cref="ShellToken"/>), which allows them
/// only as case patterns and a case subject. <paramref name="line"/> is the line the text starts on.
/// </summary>
internal sealed class ShellLexer(string script, int line = 1)
{
    private enum Quoting { None, Double, Single, Escaped }

    private readonly StringBuilder _word = new();
    private int _at;
    private int _line = line;
    private char? _glob;
    private string? _substitution;

    /// <summary>The next token, or null at the end of the script.</summary>
    public ShellToken? Next()
    {
        SkipBlanksAndComments();
        if (_at >= script.Length)
            return null;
        var c = script[_at];
        var line = _line;
        switch (c)
        {
            case '\n':
                _at++;
                _line++;
                return new ShellToken(ShellTokenKind.End, "\n", line);
            case ';' or '&' or '|' or '(' or ')':
            {
                var doubled = c is ';' or '&' or '|' && Peek(1) == c;
                _at += doubled ? 2 : 1;
                return c == ';' && !doubled
                    ? new ShellToken(ShellTokenKind.End, ";", line)
                    : new ShellToken(ShellTokenKind.Operator, doubled ? new string(c, 2) : c.ToString(), line);
            }
            case '<' or '>':
                return ReadRedirection("", line);
            case '~':
                throw new NotEmulatedException("tilde expansion is not emulated", line);
            // A lone `[` is the test command, not a glob: let the parser name it.
            case '[' when Peek(1) is ' ' or '\t' or '\n':
                _at++;
                return new ShellToken(ShellTokenKind.Word, "[", line);
        }
        return ReadWord(line);
    }

    private ShellToken ReadWord(int line)
    {
        _word.Clear();
        _glob = null;
        _substitution = null;
        var quoted = false;
        while (_at < script.Length)
        {
            var c = script[_at];
            if (c is ' ' or '\t' or '\r' or '\n' or ';' or '&' or '|' or '(' or ')')
                break;
            if (c is '<' or '>')
            {
                // Digits right before the operator are the descriptor it redirects (`2>`).
                if (!quoted && _word.Length > 0 && _word.ToString().All(char.IsAsciiDigit))
                    return ReadRedirection(_word.ToString(), line);
                break;
            }
            if (c == '\\' && Peek(1) == '\n')
            {
                _at += 2;
                _line++;
                continue;
            }
            quoted |= c is '\\' or '\'' or '"';
            switch (c)
            {
                case '\\':
                    _at++;
                    if (_at < script.Length)
                        AppendLiteral(Quoting.Escaped);
                    break;
                case '\'':
                    ReadQuoted('\'');
                    break;
                case '"':
                    ReadQuoted('"');
                    break;
                default:
                    AppendLiteral(Quoting.None);
                    break;
            }
        }
        return new ShellToken(ShellTokenKind.Word, _word.ToString(), line, quoted, _glob, _substitution);
    }

    // Single quotes are literal in the shell, but the parser stays strict: `$` or a glob there is pending too.
    // In double quotes a backslash only escapes `$`, a backtick, `"`, `\` and a newline.
    private void ReadQuoted(char quote)
    {
        var start = _line;
        _at++;
        while (_at < script.Length)
        {
            var c = script[_at];
            if (c == quote)
            {
                _at++;
                return;
            }
            if (quote == '"' && c == '\\' && Peek(1) is '$' or '`' or '"' or '\\' or '\n')
            {
                _at++;
                if (script[_at] == '\n')
                {
                    _at++;
                    _line++;
                    continue;
                }
            }
            if (script[_at] == '\n')
                _line++;
            AppendLiteral(quote == '"' ? Quoting.Double : Quoting.Single);
        }
        throw new NotEmulatedException("an unterminated quote is not emulated", start);
    }

    private void AppendLiteral(Quoting quoting)
    {
        var c = script[_at];
        // Only a word that is a substitution and nothing else is handed on.
        if (_substitution is not null)
            throw new NotEmulatedException("command substitution is not emulated", _line);
        if (c == '$' && Peek(1) == '(' && quoting is Quoting.None or Quoting.Double && _word.Length == 0)
        {
            _substitution = ReadSubstitution();
            return;
        }
        if (c is '*' or '?' or '[' && quoting == Quoting.None)
            _glob ??= c;
        _word.Append(c switch
        {
            '$' when Peek(1) == '(' => throw new NotEmulatedException("command substitution is not emulated", _line),
            '$' => throw new NotEmulatedException("variable expansion is not emulated", _line),
            '`' => throw new NotEmulatedException("command substitution is not emulated", _line),
            '*' or '?' or '[' when quoting != Quoting.None => throw new NotEmulatedException($"glob '{c}' is not emulated", _line),
            _ => c,
        });
        _at++;
    }

    // The text between `$(` and its `)`, which the parser reads as a script of its own; quotes are skipped whole.
    private string ReadSubstitution()
    {
        var start = _line;
        _at += 2;
        var begin = _at;
        for (var depth = 1; _at < script.Length; _at++)
        {
            var c = script[_at];
            if (c == '\n')
                _line++;
            else if (c is '\'' or '"' && script.IndexOf(c, _at + 1) is var close and > 0)
            {
                _line += script.AsSpan(_at, close - _at).Count('\n');
                _at = close;
            }
            else if (c == '(')
                depth++;
            else if (c == ')' && --depth == 0)
                return script[begin.._at++];
        }
        throw new NotEmulatedException("an unterminated command substitution is not emulated", start);
    }

    private ShellToken ReadRedirection(string descriptor, int line)
    {
        var two = _at + 1 < script.Length ? script.Substring(_at, 2) : "";
        var op = two is ">>" or "<<" or ">&" or "<&" or ">|" or "<>" ? two : script[_at].ToString();
        _at += op.Length;
        return new ShellToken(ShellTokenKind.Redirection, descriptor + op, line);
    }

    private void SkipBlanksAndComments()
    {
        while (_at < script.Length)
        {
            var c = script[_at];
            if (c is ' ' or '\t' or '\r')
                _at++;
            else if (c == '\\' && Peek(1) == '\n')
            {
                _at += 2;
                _line++;
            }
            else if (c == '#')
            {
                while (_at < script.Length && script[_at] != '\n')
                    _at++;
            }
            else
                return;
        }
    }

    private char Peek(int ahead) => _at + ahead < script.Length ? script[_at + ahead] : '\0';
}
