using System.Globalization;

namespace Pkg2d.Apk.Format;

/// <summary>
/// A package's `.PKGINFO`: every `key = value` line in order (repeated keys such as `depend` included, comments
/// skipped), with typed views of the keys abuild writes.
/// </summary>
public sealed class PkgInfo
{
    private PkgInfo(IReadOnlyList<KeyValuePair<string, string>> fields) => Fields = fields;

    public IReadOnlyList<KeyValuePair<string, string>> Fields { get; }

    public string PkgName => this["pkgname"] ?? "";
    public string PkgVer => this["pkgver"] ?? "";
    public string? Arch => this["arch"];
    public string? Description => this["pkgdesc"];
    public string? Url => this["url"];
    public string? License => this["license"];
    public string? Origin => this["origin"];
    public string? Commit => this["commit"];

    /// <summary>Hex SHA-256 of the compressed data member.</summary>
    public string? DataHash => this["datahash"];

    /// <summary>Installed size in bytes.</summary>
    public long Size => Long("size") ?? 0;

    /// <summary>Build time, seconds since the epoch.</summary>
    public long BuildDate => Long("builddate") ?? 0;

    public int? ProviderPriority => (int?)Long("provider_priority");

    public IReadOnlyList<string> Depends => List("depend");
    public IReadOnlyList<string> Provides => List("provides");
    public IReadOnlyList<string> InstallIf => List("install_if");
    public IReadOnlyList<string> Replaces => List("replaces");
    public IReadOnlyList<string> Triggers => List("triggers");

    /// <summary>The value of the first line with this key, or null.</summary>
    public string? this[string key] => Fields.FirstOrDefault(f => f.Key == key).Value;

    /// <summary>The values of every line with this key, each split on spaces (abuild writes one token or a list).</summary>
    public IReadOnlyList<string> List(string key) =>
        [.. Fields.Where(f => f.Key == key).SelectMany(f => f.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>Parses `.PKGINFO` text; <paramref name="source"/> names the package in errors.</summary>
    public static PkgInfo Parse(string text, string source)
    {
        var fields = new List<KeyValuePair<string, string>>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
                continue;
            // "key =" is an empty value whose trailing space was lost.
            var eq = line.EndsWith(" =", StringComparison.Ordinal) ? line.Length - 2 : line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq <= 0)
                throw new ApkFormatException($"{source}: .PKGINFO line {lineNumber}: expected 'key = value', got '{line}'");
            fields.Add(new(line[..eq], eq + 3 <= line.Length ? line[(eq + 3)..] : ""));
        }
        var info = new PkgInfo(fields);
        if (info.PkgName.Length == 0 || info.PkgVer.Length == 0)
            throw new ApkFormatException($"{source}: .PKGINFO has no pkgname or pkgver");
        foreach (var key in (string[])["size", "builddate", "provider_priority"])
            if (info[key] is { } value && !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new ApkFormatException($"{source}: .PKGINFO {key} is not a number: '{value}'");
        return info;
    }

    private long? Long(string key) =>
        this[key] is { } value ? long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture) : null;
}
