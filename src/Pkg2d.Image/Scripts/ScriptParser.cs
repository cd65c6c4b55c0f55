namespace Pkg2d.Image.Scripts;

/// <summary>
/// Reads an Alpine install script (`#!/bin/sh`, literal arguments only) into the commands it runs, or says it is
/// pending: the first construct (in script order) that is not emulated. Lines after `exit 0` are never run, so
/// they are not read either.
/// </summary>
public static class ScriptParser
{
    private static readonly HashSet<string> ReservedWords =
        ["if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done", "function", "select", "{", "}", "!", "[["];

    public static ParsedScript Parse(string scriptText)
    {
        var lexer = new ShellLexer(scriptText);
        var commands = new List<ScriptCommand>();
        try
        {
            while (lexer.Next() is { } token)
            {
                if (token.Kind == ShellTokenKind.End)
                    continue;
                var (words, terminator) = ReadSimpleCommand(lexer, token);
                var (command, exits) = AppletParser.Build(words);
                if (exits)
                    break;
                if (terminator?.Text == "||")
                {
                    var (fallback, end) = ReadSimpleCommand(lexer, lexer.Next() ?? throw NotEmulated("'||' at the end", terminator));
                    CheckTerminator(end);
                    command = command is null ? null : command with { ExitOnFailure = ExitOnFailure(fallback, terminator) };
                }
                else
                    CheckTerminator(terminator);
                if (command is not null)
                    commands.Add(command);
            }
            return ParsedScript.Emulable(commands);
        }
        catch (NotEmulatedException e)
        {
            return ParsedScript.Pending(e.Message, e.Line);
        }
    }

    // Words of one simple command, starting at first, up to the token that ends it (null at the end of the script).
    private static (List<ShellToken> Words, ShellToken? Terminator) ReadSimpleCommand(ShellLexer lexer, ShellToken first)
    {
        if (first.Kind != ShellTokenKind.Word)
            throw NotEmulated(first.Kind == ShellTokenKind.Redirection ? "a redirection before a command" : $"'{first.Text}'", first);
        if (!first.Quoted && ReservedWords.Contains(first.Text))
            throw NotEmulated($"'{first.Text}'", first);
        if (!first.Quoted && IsAssignment(first.Text))
            throw NotEmulated("variable assignment", first);
        var words = new List<ShellToken> { first };
        while (lexer.Next() is { } token)
        {
            switch (token.Kind)
            {
                case ShellTokenKind.Word:
                    words.Add(token);
                    break;
                case ShellTokenKind.Redirection:
                    CheckRedirection(token, lexer.Next());
                    break;
                case ShellTokenKind.Operator when token.Text == "(" && words.Count == 1:
                    throw NotEmulated("a function definition", token);
                default:
                    return (words, token);
            }
        }
        return (words, null);
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

    // `|| true` and `|| :` ignore a failure; `|| exit N` ends the script with N.
    private static int? ExitOnFailure(List<ShellToken> fallback, ShellToken operatorToken)
    {
        var text = string.Join(' ', fallback.Select(w => w.Text));
        return fallback[0].Text switch
        {
            "true" or ":" => null,
            "exit" when fallback.Count == 2 && fallback[1].Text.All(char.IsAsciiDigit) && int.TryParse(fallback[1].Text, out var status) => status,
            _ => throw NotEmulated($"'|| {text}'", operatorToken),
        };
    }

    private static bool IsAssignment(string word)
    {
        var eq = word.IndexOf('=');
        return eq > 0 && (char.IsAsciiLetter(word[0]) || word[0] == '_') && word[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
    }

    private static NotEmulatedException NotEmulated(string construct, ShellToken at) =>
        new($"{construct} is not emulated", at.Line);
}
