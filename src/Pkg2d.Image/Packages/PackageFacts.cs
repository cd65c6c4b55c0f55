namespace Pkg2d.Image.Packages;

/// <summary>
/// Everything an image needs to know about one package build, learned once from its verified `.apk` and kept in
/// the metadata cache under its `C:` checksum: where its layer lies in the file, the layer's digests, and what the
/// top layer's apk database must say about it. With these facts an image's manifest and config can be written
/// without the package's bytes.
/// </summary>
public sealed record PackageFacts
{
    /// <summary>The cache key: the package's `C:` checksum in file-name-safe form.</summary>
    public required string Key { get; init; }

    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>The repository index record, field by field as apk writes it into `lib/apk/db/installed`.</summary>
    public required IReadOnlyList<IndexField> Record { get; init; }

    /// <summary>Byte offset of the data member (the layer blob) inside the `.apk`.</summary>
    public required long DataOffset { get; init; }

    /// <summary>Length of the data member: the layer blob's size.</summary>
    public required long DataLength { get; init; }

    /// <summary>`sha256:` of the compressed data member: the layer digest, which is `.PKGINFO`'s signed datahash.</summary>
    public required string LayerDigest { get; init; }

    /// <summary>`sha256:` of the uncompressed data tar: the layer's diff_id.</summary>
    public required string DiffId { get; init; }

    /// <summary>Size of the uncompressed data tar.</summary>
    public required long DiffSize { get; init; }

    /// <summary>`.PKGINFO` builddate (Unix seconds), 0 when absent.</summary>
    public required long BuildDate { get; init; }

    /// <summary>The key that signed the package, or null when it was accepted untrusted.</summary>
    public string? SignedBy { get; init; }

    /// <summary>`.PKGINFO` replaces (written as `r:`), in order.</summary>
    public IReadOnlyList<string> Replaces { get; init; } = [];

    /// <summary>`.PKGINFO` replaces_priority (written as `q:`), or null.</summary>
    public int? ReplacesPriority { get; init; }

    /// <summary>`.PKGINFO` triggers: directory globs whose changes run the `.trigger` script.</summary>
    public IReadOnlyList<string> Triggers { get; init; } = [];

    /// <summary>Every entry of the data tar, in tar order.</summary>
    public required IReadOnlyList<PackageFile> Files { get; init; }

    /// <summary>Install scripts from the control tar (`.post-install`...), in control-tar order.</summary>
    public IReadOnlyList<PackageScript> Scripts { get; init; } = [];

    /// <summary>
    /// The content of the files install scripts most often read or edit (etc/passwd, etc/group, etc/shadow,
    /// etc/shells, busybox's applet lists), by path, for the packages that ship them: building an image needs no
    /// package bytes for them. Scripts that read other files read them from the package.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> KeptContents { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>
    /// The applets the package's busybox binary installs (`bin/ls`...), read from the binary's own table, for a
    /// busybox package that does not list them in etc/busybox-paths.d; empty otherwise.
    /// </summary>
    public IReadOnlyList<string> BusyboxApplets { get; init; } = [];

    /// <summary>
    /// Whether apk unpacks the package: one whose installed size (`I:`) is 0 (a metapackage) is recorded as installed
    /// but never unpacked, so none of its files, scripts, triggers or `.PKGINFO` lines take effect.
    /// </summary>
    public bool IsUnpacked => Record.FirstOrDefault(f => f.Key == 'I')?.Value != "0";

    /// <summary>The package's origin (`o:`), which decides who may overwrite whose files; its name when absent.</summary>
    public string Origin => Record.FirstOrDefault(f => f.Key == 'o')?.Value ?? Name;

    public override string ToString() => $"{Name}-{Version}";
}

/// <summary>One `X:value` line of an index record.</summary>
public sealed record IndexField(char Key, string Value);

public enum PackageFileType { File, Directory, Symlink, HardLink, Other }

/// <summary>
/// A data-tar entry: enough to write apk's installed database and to lay out the top layer around it. The owner is
/// the header's numbers and names: apk maps the names against the root's accounts when it extracts.
/// </summary>
public sealed record PackageFile(
    string Path, PackageFileType Type, int Mode, int Uid, int Gid, string? Sha1, string? LinkTarget, long Size)
{
    public string UserName { get; init; } = "";
    public string GroupName { get; init; } = "";
}

/// <summary>An install script (`.pre-install`, `.post-install`, `.trigger`...) and its bytes.</summary>
public sealed record PackageScript(string Name, byte[] Content);
