namespace Pkg2d.Image.Scripts;

/// <summary>Unwinds the parser at the first construct it does not emulate; becomes a pending <see cref="ParsedScript"/>.</summary>
internal sealed class NotEmulatedException(string reason, int line) : Exception(reason)
{
    public int Line { get; } = line;
}
