namespace Pkg2d.Image.Scripts;

/// <summary>
/// Reads an Alpine install script (`#!/bin/sh`, literal arguments only) into the commands it runs, or says it is
/// pending: the first construct (in script order) that is not emulated. Besides simple commands it reads path
/// tests joined by `&&`/`||`, `TEST && CMD`, `TEST || CMD`, `if`/`elif`/`else` on path tests and `case` on a
/// readlink. A top-level `exit 0` is the last command: lines after it are never run, so they are not read either.
/// </summary>
public static class ScriptParser
{
    private static readonly HashSet<string> ReservedWords =
        ["if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done", "function", "select", "{", "}", "!", "[["];

    // What ends a list of commands, besides the end of the script.
    private static readonly HashSet<string> TopLevel = [], ThenStops = ["elif", "else", "fi"], ElseStops = ["fi"], CaseStops = [";;", "esac"];

    public static ParsedScript Parse(string scriptText)
    {
        try
        {
            return ParsedScript.Emulable(new Reader(new ShellLexer(scriptText)).List(TopLevel, opener: null).Commands);
        }
        catch (NotEmulatedException e)
        {
            return ParsedScript.Pending(e.Message, e.Line);
        }
    }

    private sealed class Reader(ShellLexer lexer)
    {
        private readonly ShellLexer _lexer = lexer;

        /// <summary>
        /// Commands up to one of <paramref name="stops"/> (a reserved word or `;;` where a command would start),
        /// returned with it; at the top level (no <paramref name="opener"/>) up to the end or an `exit 0`.
        /// </summary>
        public (List<ScriptCommand> Commands, ShellToken? Stop) List(IReadOnlySet<string> stops, ShellToken? opener)
        {
            var commands = new List<ScriptCommand>();
            while (true)
            {
                var token = _lexer.Next();
                if (token is null)
                    return opener is null ? (commands, null) : throw NotEmulated($"'{opener.Text}' without its end", opener);
                if (token.Kind == ShellTokenKind.End)
                    continue;
                if (IsStop(token, stops))
                    return (commands, token);
                var (command, terminator) = Statement(token);
                commands.Add(command);
                if (command is ExitScript && opener is null)
                    return (commands, null);
                if (terminator is { Kind: ShellTokenKind.Operator, Text: ";;" } && stops.Contains(";;"))
                    return (commands, terminator);
                CheckTerminator(terminator);
                if (terminator is null)
                    return opener is null ? (commands, null) : throw NotEmulated($"'{opener.Text}' without its end", opener);
            }
        }

        private static bool IsStop(ShellToken token, IReadOnlySet<string> stops) =>
            (token.Kind == ShellTokenKind.Operator || token is { Kind: ShellTokenKind.Word, Quoted: false }) && stops.Contains(token.Text);

        // One and-or list or compound command, and the token after it.
        private (ScriptCommand Command, ShellToken? Terminator) Statement(ShellToken first)
        {
            if (first is { Kind: ShellTokenKind.Word, Quoted: false, Text: "if" })
                return (If(first), _lexer.Next());
            if (first is { Kind: ShellTokenKind.Word, Quoted: false, Text: "case" })
                return (Case(first), _lexer.Next());
            var (words, terminator) = ReadSimpleCommand(first);
            if (AppletParser.Test(words) is not { } test)
                return Fallback(AppletParser.Build(words), terminator);
            Condition condition = test;
            while (terminator is { Kind: ShellTokenKind.Operator, Text: "&&" or "||" } op)
            {
                var (next, end) = ReadSimpleCommand(_lexer.Next() ?? throw NotEmulated($"'{op.Text}' at the end", op));
                terminator = end;
                if (AppletParser.Test(next) is { } more)
                {
                    condition = op.Text == "&&" ? new BothTests(condition, more) : new EitherTest(condition, more);
                    continue;
                }
                ValueList<ScriptCommand> action = [AppletParser.Build(next)];
                return Fallback(op.Text == "&&" ? new Conditional(condition, action, [], true) : new Conditional(condition, [], action, true), terminator);
            }
            return (new Conditional(condition, [], [], true), terminator);
        }

        // `|| true` and `|| :` ignore a failure; `|| exit N` ends the script with N.
        private (ScriptCommand Command, ShellToken? Terminator) Fallback(ScriptCommand command, ShellToken? terminator)
        {
            if (terminator is not { Kind: ShellTokenKind.Operator, Text: "||" })
                return (command, terminator);
            var (fallback, end) = ReadSimpleCommand(_lexer.Next() ?? throw NotEmulated("'||' at the end", terminator));
            var text = string.Join(' ', fallback.Select(w => w.Text));
            return fallback[0].Text switch
            {
                "true" or ":" => (command with { FailureIgnored = true }, end),
                "exit" when fallback.Count == 2 && fallback[1].Text.All(char.IsAsciiDigit) && int.TryParse(fallback[1].Text, out var status) =>
                    (command with { ExitOnFailure = status }, end),
                _ => throw NotEmulated($"'|| {text}'", terminator),
            };
        }

        // `if` (or `elif`) CONDITION; then ...; up to its `fi`, which `elif` shares.
        private Conditional If(ShellToken opener)
        {
            var condition = Condition(opener);
            var (then, stop) = List(ThenStops, opener);
            RequireCommands(then, "then", opener);
            ValueList<ScriptCommand> otherwise = [];
            if (stop!.Text == "elif")
                otherwise = [If(stop)];
            else if (stop.Text == "else")
            {
                var (commands, _) = List(ElseStops, stop);
                RequireCommands(commands, "else", stop);
                otherwise = new(commands);
            }
            return new Conditional(condition, new(then), otherwise, false);
        }

        // Path tests joined by `&&` and `||`, then `then`.
        private Condition Condition(ShellToken opener)
        {
            var first = NextSkippingEnds() ?? throw NotEmulated($"'{opener.Text}' without a condition", opener);
            var (words, terminator) = ReadSimpleCommand(first);
            Condition condition = AppletParser.Test(words) ?? throw NotEmulated($"a condition other than a path test ('{first.Text}')", first);
            while (terminator is { Kind: ShellTokenKind.Operator, Text: "&&" or "||" } op)
            {
                var next = _lexer.Next() ?? throw NotEmulated($"'{op.Text}' at the end", op);
                (words, terminator) = ReadSimpleCommand(next);
                var test = AppletParser.Test(words) ?? throw NotEmulated($"a condition other than a path test ('{next.Text}')", next);
                condition = op.Text == "&&" ? new BothTests(condition, test) : new EitherTest(condition, test);
            }
            CheckTerminator(terminator);
            return NextSkippingEnds() is { Kind: ShellTokenKind.Word, Quoted: false, Text: "then" }
                ? condition
                : throw NotEmulated($"'{opener.Text}' without 'then'", opener);
        }

        // `case "$(readlink PATH)" in PATTERN[|PATTERN]) COMMANDS;; ... esac`.
        private CaseOnLink Case(ShellToken opener)
        {
            var subject = _lexer.Next();
            if (subject is not { Kind: ShellTokenKind.Word, Substitution: { } substitution })
                throw NotEmulated("'case' on anything but $(readlink PATH)", opener);
            var path = ReadLinkPath(substitution, subject.Line);
            if (NextSkippingEnds() is not { Kind: ShellTokenKind.Word, Quoted: false, Text: "in" })
                throw NotEmulated("'case' without 'in'", opener);
            var branches = new List<CaseBranch>();
            while (true)
            {
                var token = NextSkippingEnds() ?? throw NotEmulated("'case' without 'esac'", opener);
                if (token is { Kind: ShellTokenKind.Word, Quoted: false, Text: "esac" })
                    break;
                if (token is { Kind: ShellTokenKind.Operator, Text: "(" })
                    token = _lexer.Next() ?? throw NotEmulated("'case' without 'esac'", opener);
                var patterns = new List<string> { Pattern(token) };
                var separator = _lexer.Next();
                while (separator is { Kind: ShellTokenKind.Operator, Text: "|" })
                {
                    patterns.Add(Pattern(_lexer.Next() ?? throw NotEmulated("'case' without 'esac'", opener)));
                    separator = _lexer.Next();
                }
                if (separator is not { Kind: ShellTokenKind.Operator, Text: ")" })
                    throw NotEmulated("a case pattern not ended by ')'", separator ?? token);
                var (commands, stop) = List(CaseStops, opener);
                branches.Add(new CaseBranch(new(patterns), new(commands)));
                if (stop!.Text == "esac")
                    break;
            }
            return new CaseOnLink(path, new(branches));
        }

        // A literal pattern, or `*` alone (kept as "*": a quoted `*` never gets here, the lexer refuses it).
        private static string Pattern(ShellToken token)
        {
            if (token is not { Kind: ShellTokenKind.Word, Substitution: null })
                throw NotEmulated($"case pattern '{token.Text}'", token);
            return token.Glob is null || token.Text == "*" ? token.Text : throw NotEmulated($"case pattern '{token.Text}'", token);
        }

        // The substitution must be `readlink PATH`, with its errors discarded or `|| true` (`:`): the output is the same.
        private static string ReadLinkPath(string substitution, int line)
        {
            var inner = new Reader(new ShellLexer(substitution, line));
            var notEmulated = new NotEmulatedException($"command substitution '$({substitution.ReplaceLineEndings(" ")})' is not emulated", line);
            var (words, terminator) = inner.ReadSimpleCommand(inner._lexer.Next() ?? throw notEmulated);
            if (words is not [{ Text: "readlink" }, { Text: [not '-', ..] } path])
                throw notEmulated;
            if (terminator is { Kind: ShellTokenKind.Operator, Text: "||" })
            {
                (var fallback, terminator) = inner.ReadSimpleCommand(inner._lexer.Next() ?? throw notEmulated);
                if (fallback is not [{ Text: "true" or ":" }])
                    throw notEmulated;
            }
            return terminator is null ? AppletParser.NormalizePath(path.Text, line) : throw notEmulated;
        }

        private ShellToken? NextSkippingEnds()
        {
            var token = _lexer.Next();
            while (token is { Kind: ShellTokenKind.End })
                token = _lexer.Next();
            return token;
        }

        // Words of one simple command, starting at first, up to the token that ends it (null at the end of the script).
        private (List<ShellToken> Words, ShellToken? Terminator) ReadSimpleCommand(ShellToken first)
        {
            if (first.Kind != ShellTokenKind.Word)
                throw NotEmulated(first.Kind == ShellTokenKind.Redirection ? "a redirection before a command" : $"'{first.Text}'", first);
            if (!first.Quoted && ReservedWords.Contains(first.Text))
                throw NotEmulated($"'{first.Text}'", first);
            if (!first.Quoted && IsAssignment(first.Text))
                throw NotEmulated("variable assignment", first);
            var words = new List<ShellToken> { Literal(first) };
            while (_lexer.Next() is { } token)
            {
                switch (token.Kind)
                {
                    case ShellTokenKind.Word:
                        words.Add(Literal(token));
                        break;
                    case ShellTokenKind.Redirection:
                        CheckRedirection(token, _lexer.Next() is { } target ? Literal(target) : null);
                        break;
                    case ShellTokenKind.Operator when token.Text == "(" && words.Count == 1:
                        throw NotEmulated("a function definition", token);
                    default:
                        return (words, token);
                }
            }
            return (words, null);
        }

        // Globs and substitutions are only allowed as case patterns and subjects.
        private static ShellToken Literal(ShellToken token) => token switch
        {
            { Substitution: not null } => throw NotEmulated("command substitution", token),
            { Glob: { } glob } => throw NotEmulated($"glob '{glob}'", token),
            _ => token,
        };
    }

    private static void RequireCommands(List<ScriptCommand> commands, string part, ShellToken at)
    {
        // The shell refuses an empty `then` or `else` (a syntax error): the script would fail.
        if (commands.Count == 0)
            throw NotEmulated($"an empty '{part}'", at);
    }

    // Only redirections that discard output or merge stderr into stdout: output has no effect on the image.
    private static void CheckRedirection(ShellToken redirection, ShellToken? target)
    {
        var op = redirection.Text;
        if (op.EndsWith("<<", StringComparison.Ordinal))
            throw NotEmulated("a here-document", redirection);
        var descriptor = op.TrimEnd('<', '>', '&', '|');
        var discards = op[descriptor.Length..] is ">" or ">>" && target?.Text == "/dev/null";
        var merges = op[descriptor.Length..] == ">&" && target?.Text is "1" or "2";
        if (descriptor is not ("" or "1" or "2") || !(discards || merges) || target?.Kind != ShellTokenKind.Word)
            throw NotEmulated($"redirection '{op}{target?.Text}'", redirection);
    }

    private static void CheckTerminator(ShellToken? terminator)
    {
        switch (terminator)
        {
            case null or { Kind: ShellTokenKind.End }:
                return;
            case { Text: "|" }:
                throw NotEmulated("a pipe", terminator);
            case { Text: "&" }:
                throw NotEmulated("a background command", terminator);
            default:
                throw NotEmulated($"'{terminator.Text}'", terminator);
        }
    }

    private static bool IsAssignment(string word)
    {
        var eq = word.IndexOf('=');
        return eq > 0 && (char.IsAsciiLetter(word[0]) || word[0] == '_') && word[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }

    private static NotEmulatedException NotEmulated(string construct, ShellToken at) =>
        new($"{construct} is not emulated", at.Line);
}
