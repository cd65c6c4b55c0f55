namespace Pkg2d.Image.Scripts;

/// <summary>
/// An install script as <see cref="ScriptParser"/> understood it: either every command it runs, in order (up to a
/// top-level `exit 0`: what follows is not run, so not listed), or pending with the first construct that is not emulated.
/// </summary>
public sealed class ParsedScript
{
    private ParsedScript(IReadOnlyList<ScriptCommand> commands, string? pendingReason, int? pendingLine)
    {
        Commands = commands;
        PendingReason = pendingReason;
        PendingLine = pendingLine;
    }

    /// <summary>The commands to emulate; empty when pending.</summary>
    public IReadOnlyList<ScriptCommand> Commands { get; }

    /// <summary>One line naming what is not emulated (`'if' is not emulated`); null when emulable.</summary>
    public string? PendingReason { get; }

    /// <summary>The 1-based line of the construct named by <see cref="PendingReason"/>.</summary>
    public int? PendingLine { get; }

    public bool IsPending => PendingReason is not null;

    public static ParsedScript Emulable(IReadOnlyList<ScriptCommand> commands) => new(commands, null, null);

    public static ParsedScript Pending(string reason, int line) => new([], reason, line);

    public override string ToString() => IsPending ? $"pending (line {PendingLine}): {PendingReason}" : $"{Commands.Count} commands";
}
