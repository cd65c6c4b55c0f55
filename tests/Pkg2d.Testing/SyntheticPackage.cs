using System.Text;

namespace Pkg2d.Testing;

/// <summary>One data-tar entry of a synthetic package: a regular file, a directory or a symlink.</summary>
public sealed record SyntheticFile(string Path, byte[]? Content = null, int Mode = 0b110_100_100, string? LinkTarget = null, bool IsDirectory = false)
{
    /// <summary>The owner written in the data tar (number and name, as abuild's fakeroot tar has them).</summary>
    public int Uid { get; init; }

    public int Gid { get; init; }

    public string UserName { get; init; } = "root";

    public string GroupName { get; init; } = "root";

    public static SyntheticFile Text(string path, string content, int mode = 0b110_100_100) =>
        new(path, Encoding.UTF8.GetBytes(content), mode);

    public static SyntheticFile Bytes(string path, byte[] content, int mode = 0b110_100_100) => new(path, content, mode);

    public static SyntheticFile Symlink(string path, string target) => new(path, Mode: 0b111_111_111, LinkTarget: target);

    public static SyntheticFile Directory(string path, int mode = 0b111_101_101) => new(path, Mode: mode, IsDirectory: true);
}

/// <summary>Ways a synthetic package (or its index entry) is made wrong on purpose.</summary>
[Flags]
public enum PackageFault
{
    None = 0,

    /// <summary>The index C: names another control member.</summary>
    WrongChecksum = 1,

    /// <summary>The index S: is off by one.</summary>
    WrongSize = 2,

    /// <summary>`.PKGINFO` datahash does not match the data member (the signature is still valid).</summary>
    WrongDataHash = 4,

    /// <summary>Signed by a key that is not in <see cref="SyntheticRepository.KeysDir"/>.</summary>
    UnknownKey = 8,

    /// <summary>The signature bytes are flipped: it names the trusted key but does not verify.</summary>
    BadSignature = 16,

    /// <summary>The file is cut short inside the data member after the index was written from the whole file.</summary>
    TruncatedGzip = 32,
}

/// <summary>An Alpine package described in code, written by <see cref="SyntheticRepository"/> in the real v2 format.</summary>
public sealed class SyntheticPackage
{
    public SyntheticPackage(string name, string version)
    {
        Name = name;
        Version = version;
    }

    public string Name { get; }
    public string Version { get; }

    /// <summary>null = the repository's arch.</summary>
    public string? Arch { get; init; }

    public string Description { get; init; } = "synthetic test package";
    public string License { get; init; } = "MIT";

    /// <summary>`U:` / `url`; null = `https://example.invalid/&lt;name&gt;`.</summary>
    public string? Url { get; init; }

    /// <summary>`o:` / `origin`; null = the package's name.</summary>
    public string? Origin { get; init; }

    /// <summary>`m:` / `maintainer`; null = the test packager, with no `maintainer` line in `.PKGINFO`.</summary>
    public string? Maintainer { get; init; }

    /// <summary>`t:` / `builddate` in Unix seconds; null = the repository's fixed build time.</summary>
    public long? BuildDate { get; init; }

    /// <summary>`c:` / `commit`, written only when set.</summary>
    public string? Commit { get; init; }

    /// <summary>`r:` / `replaces`.</summary>
    public List<string> Replaces { get; init; } = [];

    /// <summary>`q:` / `replaces_priority`, written only when set.</summary>
    public int? ReplacesPriority { get; init; }

    /// <summary>
    /// `I:` / `size`; null = the sum of the regular files' sizes. apk skips unpacking a package whose size is 0, so a
    /// package of only symlinks needs one.
    /// </summary>
    public long? InstalledSize { get; init; }
    public List<string> Depends { get; init; } = [];
    public List<string> Provides { get; init; } = [];
    public List<string> InstallIf { get; init; } = [];
    public int? ProviderPriority { get; init; }
    public List<SyntheticFile> Files { get; init; } = [];

    /// <summary>Control scripts by name (`.pre-install`, `.post-install`, `.trigger`...), written mode 0755.</summary>
    public Dictionary<string, string> Scripts { get; init; } = [];

    /// <summary>`triggers = ...` folders for a `.trigger` script.</summary>
    public List<string> Triggers { get; init; } = [];

    public PackageFault Faults { get; init; }

    public string FileName => $"{Name}-{Version}.apk";

    public override string ToString() => $"{Name}-{Version}";
}
