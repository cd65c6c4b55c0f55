namespace Pkg2d.Fetch;

/// <summary>What a repository location points at.</summary>
public enum RepositoryKind
{
    /// <summary>A repository base: the index is `&lt;base&gt;/&lt;arch&gt;/APKINDEX.tar.gz`.</summary>
    Base,

    /// <summary>A signed `APKINDEX.tar.gz`; packages are in the same folder.</summary>
    IndexArchive,

    /// <summary>A plain-text `APKINDEX` (unsigned); packages are in the same folder.</summary>
    IndexText,
}

/// <summary>
/// One repository as `--repo` or a line of /etc/apk/repositories gives it: `[@tag] location [mirror...]`. Extra
/// locations on the same line are mirrors of the same repository, tried in order when one fails.
/// </summary>
public sealed class RepositorySpec
{
    public const string DefaultMirror = "https://dl-cdn.alpinelinux.org/alpine";

    private RepositorySpec(string? tag, IReadOnlyList<string> mirrors, RepositoryKind kind)
    {
        Tag = tag;
        Mirrors = mirrors;
        Kind = kind;
    }

    /// <summary>The `@tag` (without `@`) that pins packages to this repository, or null.</summary>
    public string? Tag { get; }

    /// <summary>Normalized locations (http(s) URLs or absolute paths), first preferred.</summary>
    public IReadOnlyList<string> Mirrors { get; }

    public RepositoryKind Kind { get; }

    /// <summary>Alpine's latest-stable main and community.</summary>
    public static IReadOnlyList<RepositorySpec> Defaults { get; } =
    [
        Parse($"{DefaultMirror}/latest-stable/main"),
        Parse($"{DefaultMirror}/latest-stable/community"),
    ];

    /// <summary>Parses `[@tag] location [mirror...]`.</summary>
    public static RepositorySpec Parse(string text)
    {
        var words = text.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        string? tag = null;
        if (words.Length > 0 && words[0].StartsWith('@'))
        {
            tag = words[0][1..];
            if (tag.Length == 0)
                throw new FormatException($"repository '{text}': empty @tag");
            words = words[1..];
        }
        if (words.Length == 0)
            throw new FormatException($"repository '{text}': no location");
        var mirrors = words.Select(Location.Normalize).ToArray();
        var kinds = mirrors.Select(KindOf).Distinct().ToArray();
        if (kinds.Length > 1)
            throw new FormatException($"repository '{text}': mirrors must all be repository bases or all index files");
        return new RepositorySpec(tag, mirrors, kinds[0]);
    }

    /// <summary>The index of a mirror for an arch (the arch is ignored for a direct index location).</summary>
    public string IndexLocation(string mirror, string arch) =>
        Kind == RepositoryKind.Base ? Location.Combine(Location.Combine(mirror, arch), "APKINDEX.tar.gz") : mirror;

    /// <summary>The folder holding the packages of a mirror for an arch (what ApkIndexEntry.Repository is).</summary>
    public string PackageFolder(string mirror, string arch) =>
        Kind == RepositoryKind.Base ? Location.Combine(mirror, arch) : Location.Parent(mirror);

    public override string ToString() => (Tag is null ? "" : $"@{Tag} ") + string.Join(' ', Mirrors);

    /// <summary>
    /// An index file is recognised by its name: `APKINDEX.tar.gz` or any `*.tar.gz` (saved copies are often renamed,
    /// e.g. `v3.16-main-x86_64-APKINDEX.tar.gz`), and `APKINDEX` or `*APKINDEX` for plain text; anything else is a base.
    /// </summary>
    private static RepositoryKind KindOf(string location) => Location.Name(location) switch
    {
        var name when name.EndsWith(".tar.gz", StringComparison.Ordinal) => RepositoryKind.IndexArchive,
        var name when name.EndsWith("APKINDEX", StringComparison.Ordinal) => RepositoryKind.IndexText,
        _ => RepositoryKind.Base,
    };
}
