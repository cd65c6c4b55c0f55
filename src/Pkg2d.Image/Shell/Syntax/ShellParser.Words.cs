using System.Text;

namespace Pkg2d.Image.Shell;

// Tokens and words: operators, quoting, expansions, here-document bodies.
public sealed partial class ShellParser
{
    private Token Peek() => _peeked ??= Scan();

    private Token Next()
    {
        var token = Peek();
        _peeked = null;
        return token;
    }

    private char At(int offset = 0) => _at + offset < _text.Length ? _text[_at + offset] : '\0';

    private bool AtEnd => _at >= _text.Length;

    private Token Scan()
    {
        while (!AtEnd)
        {
            var c = At();
            if (c is ' ' or '\t')
                _at++;
            else if (c == '\\' && At(1) == '\n')
                Advance(2);
            else if (c == '#')
                while (!AtEnd && At() != '\n')
                    _at++;
            else
                break;
        }
        var line = _line;
        if (AtEnd)
            return new Token(TokenKind.End, "", null, line);
        if (At() == '\n')
        {
            Advance(1);
            ReadHereDocuments();
            return new Token(TokenKind.Newline, "\n", null, line);
        }
        var digits = 0;
        while (char.IsAsciiDigit(At(digits)))
            digits++;
        if (digits > 0 && At(digits) is '<' or '>' && int.TryParse(_text.AsSpan(_at, digits), out var descriptor))
        {
            _at += digits;
            return ScanOperator(line) with { Descriptor = descriptor };
        }
        if (At() is '&' or '|' or ';' or '(' or ')' or '<' or '>')
            return ScanOperator(line);
        var start = _at;
        var parts = ScanParts(WordContext.Command);
        return new Token(TokenKind.Word, _text[start.._at], new Word(parts, _text[start.._at], line), line);
    }

    private static readonly string[] Operators = ["&&", "&>", "||", ";;", "<<-", "<<", "<&", "<>", ">>", ">&", ">|", "&", "|", ";", "(", ")", "<", ">"];

    private Token ScanOperator(int line)
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_text, _at, op, 0, op.Length) == 0)
            {
                _at += op.Length;
                return new Token(TokenKind.Operator, op, null, line);
            }
        }
        throw new ShellSyntaxException($"syntax error: unexpected \"{At()}\"", line);
    }

    /// <summary>Where a word is being read, which decides what ends it and what quoting means.</summary>
    private enum WordContext
    {
        /// <summary>A command's word: ends at a blank or an operator.</summary>
        Command,
        /// <summary>Inside `${...}`: ends at `}`; blanks and operators are text.</summary>
        Brace,
        /// <summary>The pattern of `${x/p/r}`: ends at `/` or `}`.</summary>
        BracePattern,
        /// <summary>The offset of `${x:o:l}`: ends at `:` or `}`.</summary>
        BraceOffset,
        /// <summary>A here-document body or an arithmetic expression: only `$`, backquotes and some backslashes are special.</summary>
        Text,
    }

    private List<WordPart> ScanParts(WordContext context, bool inDoubleQuotes = false)
    {
        var parts = new List<WordPart>();
        var literal = new StringBuilder();
        var quoted = new StringBuilder();
        var sawQuote = false;
        void Flush()
        {
            if (literal.Length > 0)
                parts.Add(new Literal(literal.ToString()));
            if (quoted.Length > 0)
                parts.Add(new Quoted(quoted.ToString()));
            literal.Clear();
            quoted.Clear();
        }
        void AddLiteral(char c)
        {
            if (quoted.Length > 0)
                Flush();
            literal.Append(c);
        }
        void AddQuoted(string text)
        {
            if (literal.Length > 0)
                Flush();
            quoted.Append(text);
        }
        void Add(WordPart part)
        {
            Flush();
            parts.Add(part);
        }

        while (!AtEnd)
        {
            var c = At();
            if (Ends(context, c))
                break;
            switch (c)
            {
                case '\\':
                    if (At(1) == '\n')
                    {
                        Advance(2);
                        break;
                    }
                    if (At(1) == '\0' && _at + 1 >= _text.Length)
                    {
                        _at++;
                        AddLiteral('\\');
                        break;
                    }
                    if (context == WordContext.Text || inDoubleQuotes)
                    {
                        // Only $ ` \ (and " in double quotes) are escaped; any other backslash stays.
                        if (At(1) is '$' or '`' or '\\' || (inDoubleQuotes && At(1) == '"') || (inDoubleQuotes && At(1) == '}' && context == WordContext.Brace))
                            AddQuoted(At(1).ToString());
                        else
                            AddQuoted("\\" + At(1));
                        Advance(2);
                        break;
                    }
                    AddQuoted(At(1).ToString());
                    Advance(2);
                    break;
                case '\'' when context != WordContext.Text && !inDoubleQuotes:
                {
                    var end = _text.IndexOf('\'', _at + 1);
                    if (end < 0)
                        throw new ShellSyntaxException("syntax error: unterminated quoted string", _line);
                    AddQuoted(_text[(_at + 1)..end]);
                    Advance(end + 1 - _at);
                    sawQuote = true;
                    break;
                }
                case '"' when context != WordContext.Text && !inDoubleQuotes:
                {
                    var line = _line;
                    _at++;
                    var inner = ScanDoubleQuoted(line);
                    Add(new DoubleQuoted(inner));
                    break;
                }
                case '$':
                    if (ScanDollar(inDoubleQuotes) is { } expansion)
                        Add(expansion);
                    else
                        AddLiteral('$');
                    break;
                case '`':
                    Add(ScanBackquote(inDoubleQuotes));
                    break;
                default:
                    if (inDoubleQuotes || context == WordContext.Text)
                        AddQuoted(c.ToString());
                    else
                        AddLiteral(c);
                    Advance(1);
                    break;
            }
        }
        Flush();
        // `''` is an empty word, not no word.
        if (parts.Count == 0 && sawQuote)
            parts.Add(new Quoted(""));
        return parts;
    }

    private static bool Ends(WordContext context, char c) => context switch
    {
        WordContext.Command => c is ' ' or '\t' or '\n' or '&' or '|' or ';' or '(' or ')' or '<' or '>',
        WordContext.Brace => c == '}',
        WordContext.BracePattern => c is '}' or '/',
        WordContext.BraceOffset => c is '}' or ':',
        _ => false,
    };

    /// <summary>The inside of `"..."` (the opening quote consumed), up to and including the closing quote.</summary>
    private List<WordPart> ScanDoubleQuoted(int line)
    {
        var parts = ScanUntilQuote();
        if (AtEnd)
            throw new ShellSyntaxException("syntax error: unterminated quoted string", line);
        _at++;
        return parts;
    }

    private List<WordPart> ScanUntilQuote()
    {
        var parts = new List<WordPart>();
        var text = new StringBuilder();
        while (!AtEnd && At() != '"')
        {
            var c = At();
            if (c == '\\')
            {
                if (At(1) == '\n')
                {
                    Advance(2);
                    continue;
                }
                text.Append(At(1) is '$' or '`' or '"' or '\\' ? At(1).ToString() : "\\" + At(1));
                Advance(At(1) == '\0' ? 1 : 2);
                continue;
            }
            if (c is '$' or '`')
            {
                var expansion = c == '$' ? ScanDollar(inDoubleQuotes: true) : ScanBackquote(inDoubleQuotes: true);
                if (expansion is null)
                {
                    text.Append('$');
                    continue;
                }
                if (text.Length > 0)
                    parts.Add(new Quoted(text.ToString()));
                text.Clear();
                parts.Add(expansion);
                continue;
            }
            text.Append(c);
            Advance(1);
        }
        if (text.Length > 0)
            parts.Add(new Quoted(text.ToString()));
        return parts;
    }

    /// <summary>An expansion at `$`, or null (the `$` consumed) when it is a plain dollar sign.</summary>
    private WordPart? ScanDollar(bool inDoubleQuotes)
    {
        var next = At(1);
        if (next == '{')
        {
            Enter(_line);
            Advance(2);
            var parameter = ScanBraceParameter(inDoubleQuotes);
            _depth--;
            return parameter;
        }
        if (next == '(' && At(2) == '(')
            return ScanArithmetic();
        if (next == '(')
        {
            var nested = new ShellParser(_text, _at + 2, _line) { _depth = _depth };
            nested.Enter(_line);
            var body = nested.ParseSubstitution();
            _at = nested._at;
            _line = nested._line;
            return new CommandSubstitution(body);
        }
        if (char.IsAsciiLetter(next) || next == '_')
        {
            var start = _at + 1;
            var end = start;
            while (end < _text.Length && (char.IsAsciiLetterOrDigit(_text[end]) || _text[end] == '_'))
                end++;
            _at = end;
            return new Parameter(_text[start..end]);
        }
        if (char.IsAsciiDigit(next) || next is '@' or '*' or '#' or '?' or '-' or '$' or '!')
        {
            Advance(2);
            return new Parameter(next.ToString());
        }
        Advance(1);
        return null;
    }

    /// <summary>The list inside `$(...)`, up to and including its `)`.</summary>
    private CommandList ParseSubstitution()
    {
        SkipNewlines();
        if (Peek().IsOperator(")"))
        {
            Next();
            return new CommandList([], _line);
        }
        var body = ParseList();
        Expect(")");
        return body;
    }

    private Parameter ScanBraceParameter(bool inDoubleQuotes)
    {
        var line = _line;
        Parameter Close(Parameter parameter)
        {
            if (At() != '}')
                throw new ShellSyntaxException("syntax error: bad substitution", line);
            _at++;
            return parameter;
        }
        if (At() == '#' && At(1) != '}' && (At(1) is not ('-' or '=' or '?' or '+' or '#' or '%' or ':') || At(2) == '}'))
        {
            _at++;
            return Close(new Parameter(ScanParameterName(line), ParameterOperator.Length));
        }
        var name = ScanParameterName(line);
        var colon = false;
        if (At() == ':' && At(1) is '-' or '=' or '?' or '+')
        {
            colon = true;
            _at++;
        }
        else if (At() == ':')
        {
            _at++;
            var offset = ScanWord(WordContext.BraceOffset, inDoubleQuotes);
            Word? length = null;
            if (At() == ':')
            {
                _at++;
                length = ScanWord(WordContext.Brace, inDoubleQuotes);
            }
            return Close(new Parameter(name, ParameterOperator.Substring, false, offset, length));
        }
        var op = At();
        var doubled = At(1) == op;
        ParameterOperator? kind = op switch
        {
            '}' => ParameterOperator.Value,
            '-' => ParameterOperator.Default,
            '=' => ParameterOperator.Assign,
            '?' => ParameterOperator.Error,
            '+' => ParameterOperator.Alternative,
            '#' => doubled ? ParameterOperator.RemoveLargestPrefix : ParameterOperator.RemoveSmallestPrefix,
            '%' => doubled ? ParameterOperator.RemoveLargestSuffix : ParameterOperator.RemoveSmallestSuffix,
            '/' => doubled ? ParameterOperator.ReplaceAll : ParameterOperator.ReplaceFirst,
            _ => null,
        };
        if (kind is not { } parsed || (colon && parsed is not (ParameterOperator.Default or ParameterOperator.Assign or ParameterOperator.Error or ParameterOperator.Alternative)))
            throw new ShellSyntaxException("syntax error: bad substitution", line);
        if (parsed == ParameterOperator.Value)
            return Close(new Parameter(name));
        _at += doubled && op is '#' or '%' or '/' ? 2 : 1;
        // A pattern stays a pattern inside double quotes: only its own quoting makes characters literal.
        if (parsed is ParameterOperator.ReplaceFirst or ParameterOperator.ReplaceAll)
        {
            // A `/` right after the operator belongs to the pattern (`${v///x/y}` replaces "/x").
            var slash = At() == '/';
            if (slash)
                _at++;
            var pattern = ScanWord(WordContext.BracePattern, inDoubleQuotes: false);
            if (slash)
                pattern = pattern with { Parts = [new Literal("/"), .. pattern.Parts], Raw = "/" + pattern.Raw };
            Word? replacement = null;
            if (At() == '/')
            {
                _at++;
                replacement = ScanWord(WordContext.Brace, inDoubleQuotes);
            }
            return Close(new Parameter(name, parsed, false, pattern, replacement));
        }
        var isPattern = parsed is ParameterOperator.RemoveSmallestPrefix or ParameterOperator.RemoveLargestPrefix
            or ParameterOperator.RemoveSmallestSuffix or ParameterOperator.RemoveLargestSuffix;
        return Close(new Parameter(name, parsed, colon, ScanWord(WordContext.Brace, inDoubleQuotes && !isPattern)));
    }

    private string ScanParameterName(int line)
    {
        var start = _at;
        if (char.IsAsciiLetter(At()) || At() == '_')
        {
            while (char.IsAsciiLetterOrDigit(At()) || At() == '_')
                _at++;
        }
        else if (char.IsAsciiDigit(At()))
        {
            while (char.IsAsciiDigit(At()))
                _at++;
        }
        else if (At() is '@' or '*' or '#' or '?' or '-' or '$' or '!')
        {
            _at++;
        }
        else
        {
            throw new ShellSyntaxException("syntax error: bad substitution", line);
        }
        return _text[start.._at];
    }

    private Word ScanWord(WordContext context, bool inDoubleQuotes)
    {
        var start = _at;
        var line = _line;
        var parts = ScanParts(context, inDoubleQuotes);
        return new Word(parts, _text[start.._at], line);
    }

    private Arithmetic ScanArithmetic()
    {
        var line = _line;
        var start = _at + 3;
        var depth = 0;
        for (var i = start; i < _text.Length; i++)
        {
            switch (_text[i])
            {
                case '(':
                    depth++;
                    // The expression's parentheses nest inside `$((`, which counts as one level.
                    if (_depth + 1 + depth > NestingLimit)
                        throw TooDeep(line);
                    break;
                case ')' when depth > 0:
                    depth--;
                    break;
                case ')' when i + 1 < _text.Length && _text[i + 1] == ')':
                    var inner = new ShellParser(_text[start..i], 0, line) { _depth = _depth };
                    inner.Enter(line);
                    var expression = inner.ScanWord(WordContext.Text, inDoubleQuotes: false);
                    Advance(i + 2 - _at);
                    return new Arithmetic(expression);
                case ')':
                    throw new ShellSyntaxException("syntax error: missing '))'", line);
            }
        }
        throw new ShellSyntaxException("syntax error: missing '))'", line);
    }

    /// <summary>`` `...` ``: backslashes before $ ` \ (and " in double quotes) are removed, then the text is parsed.</summary>
    private CommandSubstitution ScanBackquote(bool inDoubleQuotes)
    {
        var line = _line;
        var text = new StringBuilder();
        _at++;
        while (true)
        {
            if (AtEnd)
                throw new ShellSyntaxException("syntax error: unterminated quoted string", line);
            var c = At();
            if (c == '`')
            {
                _at++;
                break;
            }
            if (c == '\\' && (At(1) is '$' or '`' or '\\' || (inDoubleQuotes && At(1) == '"')))
            {
                text.Append(At(1));
                Advance(2);
                continue;
            }
            text.Append(c);
            Advance(1);
        }
        var nested = new ShellParser(text.ToString(), 0, line) { _depth = _depth };
        nested.Enter(line);
        var parsed = nested.ParseSubstitutionText();
        return new CommandSubstitution(parsed);
    }

    private CommandList ParseSubstitutionText()
    {
        var items = new List<AndOrList>();
        while (NextCompleteCommand() is { } line)
            items.AddRange(line.Items);
        return new CommandList(items, _line);
    }

    private void ReadHereDocuments()
    {
        foreach (var (redirection, delimiter, quoted, stripTabs) in _hereDocuments)
        {
            var line = _line;
            var body = new StringBuilder();
            while (!AtEnd)
            {
                var end = _text.IndexOf('\n', _at);
                var text = end < 0 ? _text[_at..] : _text[_at..end];
                Advance((end < 0 ? _text.Length : end + 1) - _at);
                if (stripTabs)
                    text = text.TrimStart('\t');
                if (text == delimiter)
                    break;
                body.Append(text).Append('\n');
            }
            var content = body.ToString();
            redirection.Document!.Body = quoted
                ? new Word([new Quoted(content)], content, line)
                : new ShellParser(content, 0, line) { _depth = _depth }.ScanWord(WordContext.Text, inDoubleQuotes: false);
        }
        _hereDocuments.Clear();
    }

    /// <summary>Moves past <paramref name="count"/> characters, counting lines.</summary>
    private void Advance(int count)
    {
        for (var i = 0; i < count && _at < _text.Length; i++, _at++)
        {
            if (_text[_at] == '\n')
                _line++;
        }
    }
}
