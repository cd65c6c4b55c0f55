using System.Runtime.CompilerServices;

namespace Pkg2d.Image.Shell;

/// <summary>
/// A script that is not valid shell: ash says "syntax error" and stops there. <see cref="NotEmulated"/>: valid shell
/// that the parser does not take (nesting beyond <see cref="ShellParser.NestingLimit"/>), which makes the script
/// pending when it gets there.
/// </summary>
public sealed class ShellSyntaxException(string message, int line, bool notEmulated = false) : Exception(message)
{
    public int Line { get; } = line;

    public bool NotEmulated { get; } = notEmulated;
}

/// <summary>
/// Parses POSIX shell as busybox ash reads it: reserved words only where a command starts, here-documents read
/// after the line that opens them, `$(...)` and backquotes parsed as nested scripts, and ash's bash extensions
/// that install scripts use (`&>`, `${x/p/r}`, `${x:o:l}`). The grammar is in this file; words are in
/// <c>ShellParser.Words.cs</c>.
/// </summary>
public sealed partial class ShellParser
{
    private static readonly HashSet<string> Reserved =
        ["if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "{", "}", "!", "in"];

    /// <summary>
    /// How deep constructs may nest (compound commands, `$(...)`, backquotes, `${...}`, `$((...))` and its parentheses,
    /// all counted together): real scripts nest a few levels; each level is a recursion of the parser and the interpreter.
    /// </summary>
    public const int NestingLimit = 200;

    private readonly string _text;
    private int _at;
    private int _line;

    // Constructs open around the parser's position (a nested parser starts from its parent's).
    private int _depth;
    private Token? _peeked;
    private readonly List<(Redirection Redirection, string Delimiter, bool Quoted, bool StripTabs)> _hereDocuments = [];

    private ShellParser(string text, int at, int line)
    {
        _text = text;
        _at = at;
        _line = line;
    }

    /// <summary>
    /// The script's top-level commands, each a line as ash reads and runs it before reading the next. A syntax
    /// error stops the list there: ash runs the lines before it, then exits with status 2.
    /// </summary>
    public static ParsedShellScript Parse(string script)
    {
        var parser = new ShellParser(script, 0, 1);
        var lines = new List<CommandList>();
        try
        {
            while (parser.NextCompleteCommand() is { } line)
                lines.Add(line);
            return new ParsedShellScript(lines, null);
        }
        catch (ShellSyntaxException error)
        {
            return new ParsedShellScript(lines, error);
        }
    }

    /// <summary>Parses text that must be one whole script (`eval`, `sh -c`); throws on a syntax error.</summary>
    public static CommandList ParseAll(string script)
    {
        var parsed = Parse(script);
        if (parsed.Error is { } error)
            throw error;
        return new CommandList([.. parsed.Lines.SelectMany(l => l.Items)], 1);
    }

    private enum TokenKind { Word, Operator, Newline, End }

    private sealed record Token(TokenKind Kind, string Text, Word? Word, int Line, int? Descriptor = null)
    {
        public bool IsOperator(string op) => Kind == TokenKind.Operator && Text == op;

        /// <summary>An unquoted word equal to <paramref name="reserved"/>, as a reserved word must be.</summary>
        public bool IsReserved(string reserved) => Kind == TokenKind.Word && Word!.Literal == reserved;
    }

    private CommandList? NextCompleteCommand()
    {
        SkipNewlines();
        if (Peek().Kind == TokenKind.End)
            return null;
        var line = Peek().Line;
        var items = new List<AndOrList>();
        while (true)
        {
            items.Add(ParseAndOr());
            if (Separator(items))
            {
                if (Peek().Kind is TokenKind.Newline or TokenKind.End)
                    break;
                continue;
            }
            if (Peek().Kind is TokenKind.Newline or TokenKind.End)
                break;
            throw Unexpected(Peek());
        }
        if (Peek().Kind == TokenKind.Newline)
            Next();
        return new CommandList(items, line);
    }

    /// <summary>A list up to one of <paramref name="terminators"/> (reserved words) or a closing operator.</summary>
    private CommandList ParseList(params string[] terminators)
    {
        SkipNewlines();
        var line = Peek().Line;
        var items = new List<AndOrList>();
        while (true)
        {
            var token = Peek();
            if (token.Kind == TokenKind.End || token.IsOperator(")") || token.IsOperator(";;"))
                break;
            if (token.Kind == TokenKind.Word && terminators.Any(token.IsReserved))
                break;
            items.Add(ParseAndOr());
            if (!Separator(items) && Peek().Kind != TokenKind.Newline)
                break;
            SkipNewlines();
        }
        if (items.Count == 0)
            throw Unexpected(Peek());
        return new CommandList(items, line);
    }

    /// <summary>Takes a `;` or `&` after the last item (`&` makes it a background job); false when there is none.</summary>
    private bool Separator(List<AndOrList> items)
    {
        var separator = Peek();
        if (!separator.IsOperator(";") && !separator.IsOperator("&"))
            return false;
        Next();
        if (separator.Text == "&")
            items[^1] = items[^1] with { Background = true };
        return true;
    }

    private AndOrList ParseAndOr()
    {
        var line = Peek().Line;
        var first = ParsePipeline();
        var rest = new List<(bool, Pipeline)>();
        while (Peek() is { Kind: TokenKind.Operator, Text: "&&" or "||" } op)
        {
            Next();
            SkipNewlines();
            rest.Add((op.Text == "&&", ParsePipeline()));
        }
        return new AndOrList(first, rest, false, line);
    }

    private Pipeline ParsePipeline()
    {
        var line = Peek().Line;
        var negated = false;
        while (Peek().IsReserved("!"))
        {
            Next();
            negated = !negated;
        }
        var commands = new List<Command> { ParseCommand() };
        while (Peek().IsOperator("|"))
        {
            Next();
            SkipNewlines();
            commands.Add(ParseCommand());
        }
        return new Pipeline(commands, negated, line);
    }

    private Command ParseCommand()
    {
        var token = Peek();
        if (token.IsOperator("(") || (token.Kind == TokenKind.Word && token.Word!.Literal is { } word && Reserved.Contains(word)))
        {
            Enter(token.Line);
            var command = ParseCompound(token);
            _depth--;
            return command;
        }
        return ParseSimpleCommand();
    }

    /// <summary>Counts one more level of nesting, which must stay within <see cref="NestingLimit"/>.</summary>
    private void Enter(int line)
    {
        if (++_depth > NestingLimit)
            throw TooDeep(line);
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new ShellSyntaxException("constructs nest deeper than the parser's stack allows, not emulated", line, notEmulated: true);
    }

    private static ShellSyntaxException TooDeep(int line) =>
        new($"constructs nest more than {NestingLimit} deep, not emulated", line, notEmulated: true);

    private Command ParseCompound(Token token)
    {
        var line = token.Line;
        if (token.IsOperator("("))
        {
            Next();
            var body = ParseList();
            Expect(")");
            return new Subshell(body, ParseRedirections(), line);
        }
        var word = token.Word!.Literal;
        switch (word)
        {
            case "{":
                Next();
                var group = ParseList("}");
                ExpectReserved("}");
                return new BraceGroup(group, ParseRedirections(), line);
            case "if":
                return ParseIf(line);
            case "while" or "until":
                Next();
                var condition = ParseList("do");
                var loopBody = ParseDoGroup();
                return new LoopCommand(condition, loopBody, word == "until", ParseRedirections(), line);
            case "for":
                return ParseFor(line);
            case "case":
                return ParseCase(line);
            default:
                throw Unexpected(token);
        }
    }

    private IfCommand ParseIf(int line)
    {
        Next();
        var branches = new List<(CommandList, CommandList)>();
        CommandList? otherwise = null;
        while (true)
        {
            var condition = ParseList("then");
            ExpectReserved("then");
            branches.Add((condition, ParseList("elif", "else", "fi")));
            var next = Next();
            if (next.IsReserved("elif"))
                continue;
            if (next.IsReserved("else"))
            {
                otherwise = ParseList("fi");
                ExpectReserved("fi");
            }
            else if (!next.IsReserved("fi"))
            {
                throw Unexpected(next);
            }
            return new IfCommand(branches, otherwise, ParseRedirections(), line);
        }
    }

    private ForCommand ParseFor(int line)
    {
        Next();
        var name = Next();
        if (name.Kind != TokenKind.Word || name.Word!.Literal is not { } variable || !IsName(variable))
            throw new ShellSyntaxException($"syntax error: bad for loop variable", name.Line);
        SkipNewlines();
        List<Word>? values = null;
        if (Peek().IsReserved("in"))
        {
            Next();
            values = [];
            while (Peek() is { Kind: TokenKind.Word } value)
            {
                Next();
                values.Add(value.Word!);
            }
            if (Peek().IsOperator(";") || Peek().Kind == TokenKind.Newline)
                Next();
            else
                throw Unexpected(Peek());
        }
        else if (Peek().IsOperator(";"))
        {
            Next();
        }
        SkipNewlines();
        return new ForCommand(variable, values, ParseDoGroup(), ParseRedirections(), line);
    }

    private CommandList ParseDoGroup()
    {
        ExpectReserved("do");
        var body = ParseList("done");
        ExpectReserved("done");
        return body;
    }

    private CaseCommand ParseCase(int line)
    {
        Next();
        var subject = Next();
        if (subject.Kind != TokenKind.Word)
            throw Unexpected(subject);
        SkipNewlines();
        ExpectReserved("in");
        var items = new List<CaseItem>();
        while (true)
        {
            SkipNewlines();
            if (Peek().IsReserved("esac"))
            {
                Next();
                break;
            }
            if (Peek().IsOperator("("))
                Next();
            var patterns = new List<Word>();
            while (true)
            {
                var pattern = Next();
                if (pattern.Kind != TokenKind.Word)
                    throw Unexpected(pattern);
                patterns.Add(pattern.Word!);
                var after = Next();
                if (after.IsOperator(")"))
                    break;
                if (!after.IsOperator("|"))
                    throw Unexpected(after);
            }
            SkipNewlines();
            var body = Peek().IsOperator(";;") || Peek().IsReserved("esac")
                ? new CommandList([], Peek().Line)
                : ParseList("esac");
            var end = Peek();
            items.Add(new CaseItem(patterns, body));
            if (end.IsOperator(";;"))
            {
                Next();
                continue;
            }
            if (end.IsReserved("esac"))
            {
                Next();
                break;
            }
            throw Unexpected(end);
        }
        return new CaseCommand(subject.Word!, items, ParseRedirections(), line);
    }

    private Command ParseSimpleCommand()
    {
        var line = Peek().Line;
        var assignments = new List<Assignment>();
        var words = new List<Word>();
        var redirections = new List<Redirection>();
        while (true)
        {
            var token = Peek();
            if (IsRedirection(token))
            {
                redirections.Add(ParseRedirection());
                continue;
            }
            if (token.Kind != TokenKind.Word)
                break;
            Next();
            if (words.Count == 0 && AsAssignment(token.Word!) is { } assignment)
            {
                assignments.Add(assignment);
                continue;
            }
            words.Add(token.Word!);
            if (words.Count == 1 && assignments.Count == 0 && redirections.Count == 0 && Peek().IsOperator("("))
                return ParseFunction(token, line);
        }
        if (words.Count == 0 && assignments.Count == 0 && redirections.Count == 0)
            throw Unexpected(Peek());
        return new SimpleCommand(assignments, words, redirections, line);
    }

    private FunctionDefinition ParseFunction(Token name, int line)
    {
        if (name.Word!.Literal is not { } text || !IsName(text))
            throw new ShellSyntaxException($"syntax error: bad function name", line);
        Next();
        Expect(")");
        SkipNewlines();
        return new FunctionDefinition(text, ParseCommand(), line);
    }

    /// <summary>`NAME=value`: a word whose unquoted start is a name and `=`.</summary>
    private static Assignment? AsAssignment(Word word)
    {
        if (word.Parts is not [Literal first, ..] || first.Text.IndexOf('=') is not (> 0 and var equals) || !IsName(first.Text[..equals]))
            return null;
        var rest = first.Text[(equals + 1)..];
        List<WordPart> value = rest.Length > 0 ? [new Literal(rest)] : [];
        value.AddRange(word.Parts.Skip(1));
        return new Assignment(first.Text[..equals], new Word(value, word.Raw[(equals + 1)..], word.Line));
    }

    private IReadOnlyList<Redirection> ParseRedirections()
    {
        var redirections = new List<Redirection>();
        while (IsRedirection(Peek()))
            redirections.Add(ParseRedirection());
        return redirections;
    }

    private static bool IsRedirection(Token token) =>
        token.Kind == TokenKind.Operator && token.Text is "<" or ">" or ">>" or ">|" or "<&" or ">&" or "<>" or "<<" or "<<-" or "&>";

    private Redirection ParseRedirection()
    {
        var op = Next();
        var target = Next();
        if (target.Kind != TokenKind.Word)
            throw Unexpected(target);
        var input = op.Text[0] == '<';
        var descriptor = op.Descriptor ?? (input ? 0 : 1);
        var kind = op.Text switch
        {
            "<" => RedirectionKind.Input,
            ">" or ">|" => RedirectionKind.Output,
            ">>" => RedirectionKind.Append,
            "<>" => RedirectionKind.ReadWrite,
            "<&" or ">&" => RedirectionKind.Duplicate,
            "&>" => RedirectionKind.OutputAndError,
            _ => RedirectionKind.HereDocument,
        };
        if (kind != RedirectionKind.HereDocument)
            return new Redirection(descriptor, kind, target.Word!);
        var raw = target.Word!.Raw;
        var quoted = raw.IndexOfAny(['\'', '"', '\\']) >= 0;
        var redirection = new Redirection(descriptor, kind, target.Word!) { Document = new HereDocument() };
        _hereDocuments.Add((redirection, Unquote(raw), quoted, op.Text == "<<-"));
        return redirection;
    }

    /// <summary>A here-document delimiter without its quotes.</summary>
    private static string Unquote(string raw)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < raw.Length; i++)
        {
            switch (raw[i])
            {
                case '\'' or '"':
                    continue;
                case '\\' when i + 1 < raw.Length:
                    text.Append(raw[++i]);
                    break;
                default:
                    text.Append(raw[i]);
                    break;
            }
        }
        return text.ToString();
    }

    private void Expect(string op)
    {
        var token = Next();
        if (!token.IsOperator(op))
            throw Unexpected(token);
    }

    private void ExpectReserved(string word)
    {
        var token = Next();
        if (!token.IsReserved(word))
            throw Unexpected(token);
    }

    private void SkipNewlines()
    {
        while (Peek().Kind == TokenKind.Newline)
            Next();
    }

    private static ShellSyntaxException Unexpected(Token token) => new(token.Kind switch
    {
        TokenKind.End => "syntax error: unexpected end of file",
        TokenKind.Newline => "syntax error: unexpected newline",
        _ => $"syntax error: unexpected \"{token.Text}\"",
    }, token.Line);

    internal static bool IsName(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>
/// A parsed script: its top-level lines in order and, when the script has a syntax error, the error after the
/// last line that parsed (ash runs those lines first).
/// </summary>
public sealed record ParsedShellScript(IReadOnlyList<CommandList> Lines, ShellSyntaxException? Error);
