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

/// <summary>A word (quotes removed) or operator of a shell script, with the line it starts on.</summary>
internal sealed record ShellToken(ShellTokenKind Kind, string Text, int Line, bool Quoted = false);
