namespace Pkg2d.Image.Shell;

/// <summary>
/// One shell word as written: its parts in order, before any expansion. <see cref="Raw"/> is the source text, which
/// decides reserved words, assignments and here-document delimiters.
/// </summary>
public sealed record Word(IReadOnlyList<WordPart> Parts, string Raw, int Line)
{
    /// <summary>The word's text when it has no quoting and no expansion (a reserved word, a name), else null.</summary>
    public string? Literal => Parts is [Literal { Text: var text }] ? text : Parts.Count == 0 ? "" : null;

    public override string ToString() => Raw;
}

/// <summary>A piece of a word: literal text, quoted text, or an expansion.</summary>
public abstract record WordPart;

/// <summary>Unquoted text: glob characters in it are patterns.</summary>
public sealed record Literal(string Text) : WordPart;

/// <summary>Text in single quotes or after a backslash: taken as it is, never split or globbed.</summary>
public sealed record Quoted(string Text) : WordPart;

/// <summary>`"..."`: its expansions are neither split nor globbed (`"$@"` still gives one field per parameter).</summary>
public sealed record DoubleQuoted(IReadOnlyList<WordPart> Parts) : WordPart;

/// <summary>How a parameter expansion treats its value.</summary>
public enum ParameterOperator
{
    /// <summary>`$x`, `${x}`.</summary>
    Value,
    /// <summary>`${#x}`.</summary>
    Length,
    /// <summary>`${x-w}`, `${x:-w}`.</summary>
    Default,
    /// <summary>`${x=w}`, `${x:=w}`.</summary>
    Assign,
    /// <summary>`${x?w}`, `${x:?w}`.</summary>
    Error,
    /// <summary>`${x+w}`, `${x:+w}`.</summary>
    Alternative,
    /// <summary>`${x#p}`.</summary>
    RemoveSmallestPrefix,
    /// <summary>`${x##p}`.</summary>
    RemoveLargestPrefix,
    /// <summary>`${x%p}`.</summary>
    RemoveSmallestSuffix,
    /// <summary>`${x%%p}`.</summary>
    RemoveLargestSuffix,
    /// <summary>`${x/p/r}` (ash's bash compatibility).</summary>
    ReplaceFirst,
    /// <summary>`${x//p/r}`.</summary>
    ReplaceAll,
    /// <summary>`${x:offset:length}`.</summary>
    Substring,
}

/// <summary>
/// `$name`, `${name...}` or a special parameter (`$@ $* $# $? $- $$ $! $0`-`$9`). <paramref name="Colon"/>: the
/// `:` forms, where an empty value counts as unset. <paramref name="Argument"/> is the word after the operator (the
/// pattern, default or offset); <paramref name="Replacement"/> the replacement or length of the bash forms.
/// </summary>
public sealed record Parameter(string Name, ParameterOperator Operator = ParameterOperator.Value, bool Colon = false,
    Word? Argument = null, Word? Replacement = null) : WordPart;

/// <summary>`$(...)` or a backquoted command: the commands' output, trailing newlines removed.</summary>
public sealed record CommandSubstitution(CommandList Body) : WordPart;

/// <summary>`$((...))`: the expression after parameter expansion, evaluated as ash does (signed 64-bit).</summary>
public sealed record Arithmetic(Word Expression) : WordPart;
