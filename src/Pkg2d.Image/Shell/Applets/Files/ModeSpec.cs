namespace Pkg2d.Image.Shell;

/// <summary>
/// A mode argument as busybox 1.36 parses it (chmod, mkdir -m, install -m): an octal number up to 07777, or
/// comma-separated symbolic clauses (`u+s`, `g+w,o-rwx`, `a=rx`, `+x`, `g=u`) applied left to right.
/// </summary>
public sealed record ModeSpec
{
    /// <summary>apk-tools 2.14 runs install scripts with umask 0022 (seen with a probe script).</summary>
    public const int ScriptUmask = 0b000_010_010;

    private const int AllBits = 0b111_111_111_111; // 07777
    private const int PermissionBits = 0b111_111_111; // 0777
    private const int AnyExecute = 0b001_001_001;

    // Indexed like "augo" and "rwxXst"; 'a' covers setuid, setgid and sticky, 'u' setuid, 'g' setgid, 'o' nothing extra.
    private static readonly int[] WhoMasks = [AllBits, 0b100_111_000_000, 0b010_000_111_000, 0b000_000_000_111];
    private static readonly int[] PermissionMasks = [0b100_100_100, 0b010_010_010, AnyExecute, AnyExecute, 0b110_000_000_000, 0b001_000_000_000];

    private ModeSpec(string text) => Text = text;

    /// <summary>The mode as written.</summary>
    public string Text { get; }

    /// <summary>Parses a mode; throws <see cref="FormatException"/> where busybox says "invalid mode".</summary>
    public static ModeSpec Parse(string text) =>
        TryParse(text) ?? throw new FormatException($"invalid mode '{text}'");

    /// <summary>The mode, or null where busybox says "invalid mode".</summary>
    public static ModeSpec? TryParse(string text)
    {
        var spec = new ModeSpec(text);
        // Validity depends on the text only, so one trial application tells.
        return spec.TryApply(0, isDirectory: false, ScriptUmask) is null ? null : spec;
    }

    public override string ToString() => Text;

    /// <summary>
    /// The permission bits (07777) after applying this mode to <paramref name="currentMode"/>. Clauses without
    /// `ugoa` are masked by <paramref name="umask"/> (as busybox does: `+w` under umask 022 is `u+w`); `X` adds
    /// execute for directories and for files that already have an execute bit.
    /// </summary>
    public int Apply(int currentMode, bool isDirectory, int umask = ScriptUmask) =>
        TryApply(currentMode & AllBits, isDirectory, umask) ?? throw new InvalidOperationException($"invalid mode '{Text}'");

    private int? TryApply(int mode, bool isDirectory, int umask)
    {
        var s = Text;
        if (s.Length > 0 && s[0] is >= '0' and <= '7')
            return ParseOctal(s);
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == ',')
            {
                i++;
                continue;
            }
            var who = 0;
            for (int w; i < s.Length && (w = "augo".IndexOf(s[i])) >= 0;)
            {
                who |= WhoMasks[w];
                if (++i == s.Length)
                    return null;
            }
            do
            {
                var op = s[i++];
                if (op is not ('+' or '-' or '='))
                    return null;
                if (op == '=')
                    mode &= ~(who != 0 ? who : AllBits);
                var permissions = 0;
                int source;
                if (i < s.Length && (source = "augo".IndexOf(s[i])) > 0)
                {
                    // `g=u`: the source class's bits, each widened to every class, then narrowed by the target.
                    var copied = WhoMasks[source] & PermissionBits & mode;
                    for (var p = 0; p < 3; p++)
                        if ((copied & PermissionMasks[p]) != 0)
                            permissions |= PermissionMasks[p];
                    i++;
                }
                else
                {
                    for (int p; i < s.Length && (p = "rwxXst".IndexOf(s[i])) >= 0; i++)
                        if (s[i] != 'X' || isDirectory || (mode & AnyExecute) != 0)
                            permissions |= PermissionMasks[p];
                }
                permissions &= who != 0 ? who : ~umask;
                mode = op == '-' ? mode & ~permissions : mode | permissions;
            }
            while (i < s.Length && s[i] != ',');
        }
        return mode;
    }

    private static int? ParseOctal(string s)
    {
        var value = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '7')
                return null;
            value = value * 8 + (c - '0');
            if (value > AllBits)
                return null;
        }
        return value;
    }
}
