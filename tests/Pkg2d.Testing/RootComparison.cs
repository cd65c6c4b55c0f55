using System.Text;
using System.Text.RegularExpressions;

namespace Pkg2d.Testing;

/// <summary>
/// What a comparison of an apk-made root with an image's root may leave out, each a known, accepted difference.
/// <see cref="Documented"/> turns them all on; <see cref="None"/> compares everything.
/// </summary>
public sealed record RootExceptions
{
    /// <summary>Device nodes under `dev/`: `apk --initdb` makes them, image layers do not carry them (runtimes mount /dev).</summary>
    public bool DeviceNodes { get; init; }

    /// <summary>`etc/passwd-`, `etc/group-`, `etc/shadow-`: busybox's backups of the state before its last change.</summary>
    public bool BusyboxBackups { get; init; }

    /// <summary>The 3rd field of `etc/shadow` lines (last change, in days since 1970): the day the accounts were made.</summary>
    public bool ShadowDays { get; init; }

    /// <summary>Paths whose content is unique to each install (`*` matches within one path segment); their type, mode and owner still count.</summary>
    public IReadOnlyList<string> HostUnique { get; init; } = [];

    /// <summary>Paths an apk root has and an image does not carry at all: apk 3's log of its own run (host and time).</summary>
    public IReadOnlyList<string> ApkOnly { get; init; } = [];

    public static RootExceptions None { get; } = new();

    public static RootExceptions Documented { get; } = new()
    {
        DeviceNodes = true,
        BusyboxBackups = true,
        ShadowDays = true,
        HostUnique = ["etc/machine-id", "var/lib/dbus/machine-id", "etc/ssh/ssh_host_*"],
        ApkOnly = ["var/log/apk.log"],
    };

    internal bool IsHostUnique(string path) => HostUnique.Any(pattern =>
        Regex.IsMatch(path, "^" + Regex.Escape(pattern).Replace(@"\*", "[^/]*") + "$", RegexOptions.CultureInvariant));
}

public enum RootDifferenceKind
{
    /// <summary>In the apk root, not in the image.</summary>
    Missing,

    /// <summary>In the image, not in the apk root.</summary>
    Extra,
    Type,
    Mode,
    Owner,
    Content,
    LinkTarget,
}

/// <summary>One difference: what apk made (<see cref="Expected"/>) against what the image has (<see cref="Actual"/>).</summary>
public sealed record RootDifference(string Path, RootDifferenceKind Kind, string Expected, string Actual)
{
    public override string ToString() => $"{Kind,-10} {Path}: apk {Expected}, image {Actual}";
}

/// <summary>Compares an apk-made root (the oracle) with an image's unpacked root.</summary>
public static class RootComparison
{
    private static readonly string[] BusyboxBackups = ["etc/passwd-", "etc/group-", "etc/shadow-"];

    /// <summary>The files that must be equal byte for byte: the installed database and the account files.</summary>
    public static readonly IReadOnlyList<string> DatabaseFiles = ["lib/apk/db/installed", "etc/passwd", "etc/group", "etc/shadow"];

    /// <summary>Every difference between the two trees, in path order, except those <paramref name="exceptions"/> allows.</summary>
    public static IReadOnlyList<RootDifference> Diff(RootTree apkRoot, RootTree imageRoot, RootExceptions exceptions)
    {
        var differences = new List<RootDifference>();
        foreach (var path in apkRoot.Entries.Keys.Union(imageRoot.Entries.Keys).Order(StringComparer.Ordinal))
        {
            var expected = apkRoot.Entries.GetValueOrDefault(path);
            var actual = imageRoot.Entries.GetValueOrDefault(path);
            if (Excepted(path, expected ?? actual!, exceptions))
                continue;
            if (expected is null || actual is null)
            {
                differences.Add(expected is null
                    ? new RootDifference(path, RootDifferenceKind.Extra, "nothing", actual!.ToString())
                    : new RootDifference(path, RootDifferenceKind.Missing, expected.ToString(), "nothing"));
                continue;
            }
            if (expected.Type != actual.Type)
            {
                differences.Add(new RootDifference(path, RootDifferenceKind.Type, expected.ToString(), actual.ToString()));
                continue;
            }
            if (expected.Mode != actual.Mode)
                differences.Add(new RootDifference(path, RootDifferenceKind.Mode, Octal(expected.Mode), Octal(actual.Mode)));
            if ((expected.Uid, expected.Gid) != (actual.Uid, actual.Gid))
                differences.Add(new RootDifference(path, RootDifferenceKind.Owner, $"{expected.Uid}:{expected.Gid}", $"{actual.Uid}:{actual.Gid}"));
            if (expected.Content != actual.Content && !exceptions.IsHostUnique(path)
                && !(exceptions.ShadowDays && path == "etc/shadow" && SameShadow(apkRoot, imageRoot, path)))
            {
                differences.Add(new RootDifference(path,
                    expected.Type == RootEntryType.Symlink ? RootDifferenceKind.LinkTarget : RootDifferenceKind.Content,
                    expected.Content, actual.Content));
            }
        }
        return differences;
    }

    /// <summary>
    /// Compares <see cref="DatabaseFiles"/> of two roots byte for byte (only the shadow days may differ, if
    /// <paramref name="ignoreShadowDays"/>): for each file that differs, its first differing line from each side.
    /// </summary>
    public static IReadOnlyList<RootDifference> DiffDatabases(string apkRoot, string imageRoot, bool ignoreShadowDays)
    {
        var differences = new List<RootDifference>();
        foreach (var path in DatabaseFiles)
        {
            var expected = ReadOrNull(apkRoot, path);
            var actual = ReadOrNull(imageRoot, path);
            if (expected is null || actual is null)
            {
                if (expected != actual)
                    differences.Add(new RootDifference(path, expected is null ? RootDifferenceKind.Extra : RootDifferenceKind.Missing,
                        expected is null ? "nothing" : "present", actual is null ? "nothing" : "present"));
                continue;
            }
            if (ignoreShadowDays && path == "etc/shadow")
                (expected, actual) = (WithoutShadowDays(expected), WithoutShadowDays(actual));
            if (!expected.AsSpan().SequenceEqual(actual))
                differences.Add(FirstDifferentLine(path, expected, actual));
        }
        return differences;
    }

    private static bool Excepted(string path, RootEntry entry, RootExceptions exceptions) =>
        (exceptions.DeviceNodes && path.StartsWith("dev/", StringComparison.Ordinal)
            && entry.Type is RootEntryType.CharDevice or RootEntryType.BlockDevice)
        || (exceptions.BusyboxBackups && BusyboxBackups.Contains(path))
        || exceptions.ApkOnly.Contains(path);

    private static bool SameShadow(RootTree apkRoot, RootTree imageRoot, string path) =>
        WithoutShadowDays(File.ReadAllBytes(Path.Combine(apkRoot.Root, path)))
            .AsSpan().SequenceEqual(WithoutShadowDays(File.ReadAllBytes(Path.Combine(imageRoot.Root, path))));

    /// <summary>etc/shadow with every line's 3rd field emptied.</summary>
    private static byte[] WithoutShadowDays(byte[] shadow)
    {
        var lines = Encoding.UTF8.GetString(shadow).Split('\n').Select(line =>
        {
            var fields = line.Split(':');
            if (fields.Length > 2)
                fields[2] = "";
            return string.Join(':', fields);
        });
        return Encoding.UTF8.GetBytes(string.Join('\n', lines));
    }

    private static RootDifference FirstDifferentLine(string path, byte[] expected, byte[] actual)
    {
        var expectedLines = Encoding.UTF8.GetString(expected).Split('\n');
        var actualLines = Encoding.UTF8.GetString(actual).Split('\n');
        for (var i = 0; ; i++)
        {
            var left = i < expectedLines.Length ? expectedLines[i] : null;
            var right = i < actualLines.Length ? actualLines[i] : null;
            if (left != right)
                return new RootDifference(path, RootDifferenceKind.Content, $"line {i + 1} {left ?? "(end)"}", $"line {i + 1} {right ?? "(end)"}");
        }
    }

    private static byte[]? ReadOrNull(string root, string path)
    {
        var file = Path.Combine(root, path);
        return File.Exists(file) ? File.ReadAllBytes(file) : null;
    }

    private static string Octal(int mode) => Convert.ToString(mode, 8).PadLeft(4, '0');
}
