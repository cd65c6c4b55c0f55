using Pkg2d.Image.Scripts;

namespace Pkg2d.Image.Tests.Scripts;

/// <summary>What the parser tests ask of a script: its commands when it is emulable, its reason when it is pending.</summary>
internal static class Parsed
{
    public static IReadOnlyList<ScriptCommand> Emulable(string script)
    {
        var parsed = ScriptParser.Parse(script);
        Assert.False(parsed.IsPending, parsed.ToString());
        return parsed.Commands;
    }

    public static string Pending(string script)
    {
        var parsed = ScriptParser.Parse(script);
        Assert.True(parsed.IsPending, "expected pending, got " + string.Join("; ", parsed.Commands));
        return parsed.PendingReason!;
    }

    public static PathList P(params string[] paths) => new(paths);
}
