namespace Pkg2d.Image.Shell;

/// <summary>A command of the syntax tree. <see cref="Line"/> is where it starts, for messages.</summary>
public abstract record Command(int Line);

/// <summary>Commands run one after the other (`;` or newline); the status is the last one's.</summary>
public sealed record CommandList(IReadOnlyList<AndOrList> Items, int Line) : Command(Line);

/// <summary>`a && b || c`: <see cref="Rest"/> pairs each following pipeline with the operator before it.</summary>
public sealed record AndOrList(Pipeline First, IReadOnlyList<(bool And, Pipeline Pipeline)> Rest, bool Background, int Line) : Command(Line);

/// <summary>`[!] a | b | c`.</summary>
public sealed record Pipeline(IReadOnlyList<Command> Commands, bool Negated, int Line) : Command(Line);

/// <summary>`NAME=value... word... redirection...`.</summary>
public sealed record SimpleCommand(IReadOnlyList<Assignment> Assignments, IReadOnlyList<Word> Words, IReadOnlyList<Redirection> Redirections, int Line)
    : Command(Line);

/// <summary>`NAME=value` before a command (or alone).</summary>
public sealed record Assignment(string Name, Word Value);

/// <summary>A compound command with the redirections written after it.</summary>
public abstract record CompoundCommand(IReadOnlyList<Redirection> Redirections, int Line) : Command(Line);

/// <summary>`{ list; }`.</summary>
public sealed record BraceGroup(CommandList Body, IReadOnlyList<Redirection> Redirections, int Line) : CompoundCommand(Redirections, Line);

/// <summary>`( list )`: runs in a copy of the shell's state.</summary>
public sealed record Subshell(CommandList Body, IReadOnlyList<Redirection> Redirections, int Line) : CompoundCommand(Redirections, Line);

/// <summary>`if c; then b; elif c; then b; else b; fi`: <see cref="Branches"/> in order, <see cref="Else"/> or null.</summary>
public sealed record IfCommand(IReadOnlyList<(CommandList Condition, CommandList Body)> Branches, CommandList? Else,
    IReadOnlyList<Redirection> Redirections, int Line) : CompoundCommand(Redirections, Line);

/// <summary>`while c; do b; done` or, with <see cref="Until"/>, `until`.</summary>
public sealed record LoopCommand(CommandList Condition, CommandList Body, bool Until, IReadOnlyList<Redirection> Redirections, int Line)
    : CompoundCommand(Redirections, Line);

/// <summary>`for name [in words]; do b; done`: without `in` the positional parameters.</summary>
public sealed record ForCommand(string Variable, IReadOnlyList<Word>? Values, CommandList Body, IReadOnlyList<Redirection> Redirections, int Line)
    : CompoundCommand(Redirections, Line);

/// <summary>`case word in pattern|pattern) list;; ... esac`.</summary>
public sealed record CaseCommand(Word Subject, IReadOnlyList<CaseItem> Items, IReadOnlyList<Redirection> Redirections, int Line)
    : CompoundCommand(Redirections, Line);

/// <summary>One `pattern|pattern) list;;`.</summary>
public sealed record CaseItem(IReadOnlyList<Word> Patterns, CommandList Body);

/// <summary>`name() command`: POSIX wants a compound command; ash takes any command.</summary>
public sealed record FunctionDefinition(string Name, Command Body, int Line) : Command(Line);

public enum RedirectionKind
{
    /// <summary>`<`.</summary>
    Input,
    /// <summary>`>` and `>|`.</summary>
    Output,
    /// <summary>`>>`.</summary>
    Append,
    /// <summary>`<>`.</summary>
    ReadWrite,
    /// <summary>`<&` and `>&`: the target is a descriptor number or `-`.</summary>
    Duplicate,
    /// <summary>`<<` and `<<-`: the target is the here-document's body.</summary>
    HereDocument,
    /// <summary>`&>` (ash's bash compatibility): standard output and error to a file.</summary>
    OutputAndError,
}

/// <summary>
/// `[n]op target`. For a here-document <see cref="Target"/> is the delimiter and <see cref="Document"/> the body,
/// which the parser reads after the line ends.
/// </summary>
public sealed record Redirection(int Descriptor, RedirectionKind Kind, Word Target)
{
    public HereDocument? Document { get; init; }
}

/// <summary>
/// A here-document's body: a word whose expansions run (unquoted delimiter) or quoted text (quoted delimiter).
/// Filled in when the parser reaches the end of the line that opened it.
/// </summary>
public sealed class HereDocument
{
    public Word Body { get; internal set; } = new([], "", 0);
}
