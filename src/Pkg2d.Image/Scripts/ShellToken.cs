namespace Pkg2d.Image.Scripts;

internal enum ShellTokenKind
{
    Word,
    /// <summary>A newline or `;`: the end of a command.</summary>
    End,
    /// <summary>`||`, `&&`, `|`, `&`, `;;`, `(`, `)`.</summary>
    Operator,
    /// <summary>`>`, `2>`, `>&`, `2>&`, `>>`, `<`, `<<`, ...: <see cref="ShellToken.Text"/> holds it with its descriptor.</summary>
    Redirection,
}

/// <summary>
/// A word (quotes removed) or operator of a shell script, with the line it starts on. <paramref name="Glob"/> is the
/// first unquoted `*`, `?` or `[` of a word; <paramref name="Substitution"/> the command inside a word that is
/// exactly one `$(...)` (quoted or not), whose <paramref name="Text"/> is then empty. The parser decides where
/// either is allowed.
/// </summary>
internal sealed record ShellToken(ShellTokenKind Kind, string Text, int Line, bool Quoted = false, char? Glob = null, string? Substitution = null);
