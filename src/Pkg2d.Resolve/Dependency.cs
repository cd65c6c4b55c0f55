namespace Pkg2d.Resolve;

/// <summary>
/// One dependency as apk writes it: `[!]name[@tag][op version]`, e.g. `so:libc.musl-x86_64.so.1`, `!foo`,
/// `bar&gt;=1.2`, `baz~1.2`, `cmd:ls`, `/bin/sh`, `foo@edge`. A conflict (`!`) forbids the packages it matches.
/// </summary>
public sealed record Dependency(string Name, VersionOp Op, string? Version, bool Conflict, string? Tag)
{
    private const string Operators = "<>=~";

    /// <summary>
    /// Parses an index token (D:, p:, i:); throws <see cref="FormatException"/> when malformed. Its version is not
    /// checked: real indexes have versions that only apk 2.x accepts (`6.0.2p1-r7`, `v2.4`), and apk 2.14 installs
    /// those packages; the comparison orders any text.
    /// </summary>
    public static Dependency Parse(string token) =>
        TryParse(token, strict: false, out var dependency, out var error)
            ? dependency
            : throw new FormatException($"invalid dependency '{token}': {error}");

    /// <summary>Parses a world entry, whose version must be valid; a malformed one is a <see cref="SolverException"/>
    /// naming it.</summary>
    public static Dependency ParseWorld(string entry) =>
        TryParse(entry, strict: true, out var dependency, out var error)
            ? dependency
            : throw new SolverException([$"invalid world entry '{entry}': {error}"]);

    private static bool TryParse(string token, bool strict, out Dependency dependency, out string error)
    {
        dependency = null!;
        var text = token.AsSpan();
        var conflict = text.StartsWith("!");
        if (conflict)
            text = text[1..];

        var opStart = text.IndexOfAny(Operators);
        var name = opStart < 0 ? text : text[..opStart];
        var op = VersionOp.Any;
        string? version = null;
        if (opStart >= 0)
        {
            var ops = text[opStart..];
            var opLength = ops.IndexOfAnyExcept(Operators);
            if (opLength < 0)
            {
                error = "no version after the operator";
                return false;
            }
            foreach (var c in ops[..opLength])
                op |= c switch
                {
                    '<' => VersionOp.Less,
                    '>' => VersionOp.Greater,
                    '=' => VersionOp.Equal,
                    _ => VersionOp.Fuzzy | VersionOp.Equal,
                };
            version = ops[opLength..].ToString();
            if (strict && op != VersionOp.Checksum && !ApkVersion.IsValid(version))
            {
                error = $"'{version}' is not a valid version";
                return false;
            }
        }

        string? tag = null;
        var at = name.IndexOf('@');
        if (at >= 0)
        {
            tag = name[(at + 1)..].ToString();
            name = name[..at];
            if (tag.Length == 0)
            {
                error = "empty repository tag";
                return false;
            }
        }
        if (name.IsEmpty || name.ContainsAny(" \t\n,"))
        {
            error = "no package name";
            return false;
        }
        dependency = new Dependency(name.ToString(), op, version, conflict, tag);
        error = "";
        return true;
    }

    /// <summary>Whether the package providing this name at <paramref name="providedVersion"/> satisfies this
    /// dependency (for a conflict: whether it is allowed). A null version is a provide without version, which only
    /// an unversioned dependency accepts.</summary>
    public bool IsSatisfiedBy(string? providedVersion, string? checksum = null)
    {
        if (Op == VersionOp.Any)
            return !Conflict;
        if (Op == VersionOp.Checksum)
            return (checksum == Version) != Conflict;
        if (providedVersion is null)
            return Conflict;
        return ApkVersion.Matches(providedVersion, Op, Version!) != Conflict;
    }

    /// <summary>The dependency as apk writes it.</summary>
    public override string ToString()
    {
        var op = Op switch
        {
            VersionOp.Any => "",
            VersionOp.Less => "<",
            VersionOp.Less | VersionOp.Equal => "<=",
            VersionOp.Equal => "=",
            VersionOp.Greater | VersionOp.Equal => ">=",
            VersionOp.Greater => ">",
            VersionOp.Fuzzy | VersionOp.Equal => "~",
            VersionOp.Greater | VersionOp.Fuzzy | VersionOp.Equal => ">~",
            VersionOp.Less | VersionOp.Fuzzy | VersionOp.Equal => "<~",
            VersionOp.Checksum => "><",
            _ => "?",
        };
        return $"{(Conflict ? "!" : "")}{Name}{(Tag is null ? "" : "@" + Tag)}{op}{Version}";
    }
}
