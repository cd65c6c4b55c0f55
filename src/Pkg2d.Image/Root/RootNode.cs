using Pkg2d.Image.Packages;

namespace Pkg2d.Image.Root;

public enum NodeKind { Directory, File, Symlink }

/// <summary>Where a file's bytes come from: a package's data-tar entry, or content the installation generated.</summary>
public abstract record FileSource
{
    /// <summary>Hex SHA-1 of the content (or, for a symlink, of its target), as apk's `Z:` has it.</summary>
    public abstract string? Sha1 { get; }
}

/// <summary>The bytes of a data-tar entry of <see cref="Package"/> at <see cref="EntryPath"/> (its path in the tar).</summary>
public sealed record PackageEntrySource(PackageFacts Package, PackageFile Entry) : FileSource
{
    public override string? Sha1 => Entry.Sha1;
}

/// <summary>Content made by the installation itself: an edited account database, apk's own files, an empty file.</summary>
public sealed record GeneratedSource(byte[] Content) : FileSource
{
    private readonly Lazy<string> _sha1 = new(() => Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(Content)));

    public override string? Sha1 => _sha1.Value;
}

/// <summary>One path of a root as apk would leave it.</summary>
public sealed record RootNode
{
    public required NodeKind Kind { get; init; }

    /// <summary>Permission bits with setuid, setgid and sticky.</summary>
    public required int Mode { get; init; }

    public int Uid { get; init; }
    public int Gid { get; init; }
    public string? LinkTarget { get; init; }

    /// <summary>A file's content; null for directories and symlinks.</summary>
    public FileSource? Source { get; init; }

    /// <summary>The package whose database entry lists this path, or null (apk's own, made by a script, implied).</summary>
    public PackageFacts? Owner { get; init; }

    public static RootNode Directory(int mode = 0b111_101_101, int uid = 0, int gid = 0) => new() { Kind = NodeKind.Directory, Mode = mode, Uid = uid, Gid = gid };

    public static RootNode Generated(byte[] content, int mode = 0b110_100_100, int uid = 0, int gid = 0) =>
        new() { Kind = NodeKind.File, Mode = mode, Uid = uid, Gid = gid, Source = new GeneratedSource(content) };

    public static RootNode Symlink(string target) => new() { Kind = NodeKind.Symlink, Mode = 0b111_111_111, LinkTarget = target };

    /// <summary>A package's data-tar entry as it stands in a root, with the entry's mode and owner (a hard link is its file's content).</summary>
    public static RootNode Of(PackageFacts package, PackageFile entry) => new()
    {
        Kind = entry.Type switch
        {
            PackageFileType.Directory => NodeKind.Directory,
            PackageFileType.Symlink => NodeKind.Symlink,
            _ => NodeKind.File,
        },
        Mode = entry.Mode & 0xFFF,
        Uid = entry.Uid,
        Gid = entry.Gid,
        LinkTarget = entry.Type == PackageFileType.Symlink ? entry.LinkTarget : null,
        Source = entry.Type is PackageFileType.File or PackageFileType.HardLink ? new PackageEntrySource(package, entry) : null,
        Owner = package,
    };

    /// <summary>Same type, mode, owner, link target and content: nothing to correct.</summary>
    public bool SameAs(RootNode other) =>
        Kind == other.Kind && Mode == other.Mode && Uid == other.Uid && Gid == other.Gid && LinkTarget == other.LinkTarget
        && (Kind != NodeKind.File || Source?.Sha1 == other.Source?.Sha1);
}
