using Pkg2d.Image.Packages;

namespace Pkg2d.Image.Install;

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

/// <summary>
/// A file tree keyed by real paths (relative, no leading or trailing slash), with symlinks that are followed the way
/// the kernel follows them when apk or a script opens a path inside the root.
/// </summary>
public sealed class VirtualRoot
{
    private const int MaxLinks = 40;
    private readonly Dictionary<string, RootNode> _nodes = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, RootNode> Nodes => _nodes;

    public RootNode? this[string path] => _nodes.GetValueOrDefault(path);

    /// <summary>
    /// The real path that <paramref name="path"/> names: symlinks among its parents are followed, and the last
    /// component's too when <paramref name="followLast"/>. Components that do not exist are kept as written.
    /// </summary>
    public string Resolve(string path, bool followLast = true)
    {
        if (IsPlain(path, followLast))
            return path;
        var pending = new Stack<string>(Split(path).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                if (resolved.Count > 0)
                    resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(part);
            if (pending.Count == 0 && !followLast)
                break;
            if (_nodes.GetValueOrDefault(string.Join('/', resolved)) is not { Kind: NodeKind.Symlink, LinkTarget: { } target })
                continue;
            if (++links > MaxLinks)
                break;
            resolved.RemoveAt(resolved.Count - 1);
            if (target.StartsWith('/'))
                resolved.Clear();
            foreach (var next in Split(target).Reverse())
                pending.Push(next);
        }
        return string.Join('/', resolved);
    }

    /// <summary>A normalised path none of whose components (the last one only when followed) is a symlink: it names itself.</summary>
    private bool IsPlain(string path, bool followLast)
    {
        var lookup = _nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        var span = path.AsSpan();
        if (span.Length == 0 || span[0] == '/' || span[^1] == '/')
            return span.Length == 0;
        for (var start = 0; start <= span.Length;)
        {
            var end = span[start..].IndexOf('/') is var slash and >= 0 ? start + slash : span.Length;
            var part = span[start..end];
            if (part.Length == 0 || part is "." or "..")
                return false;
            if ((end < span.Length || followLast) && lookup.TryGetValue(span[..end], out var node) && node.Kind == NodeKind.Symlink)
                return false;
            start = end + 1;
        }
        return true;
    }

    /// <summary>Puts a node at a real path, first making any missing parent directory as mkdir would (0755, root).</summary>
    public void Set(string path, RootNode node)
    {
        for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            _nodes.TryAdd(path[..slash], RootNode.Directory());
        if (_nodes.GetValueOrDefault(path) is { Kind: NodeKind.Directory } && node.Kind != NodeKind.Directory)
            Remove(path);
        _nodes[path] = node;
    }

    /// <summary>Removes a path and everything below it.</summary>
    public void Remove(string path)
    {
        _nodes.Remove(path);
        foreach (var below in Below(path).ToList())
            _nodes.Remove(below);
    }

    /// <summary>Every path strictly below a directory, unordered.</summary>
    public IEnumerable<string> Below(string path)
    {
        var prefix = path.Length == 0 ? "" : path + "/";
        return _nodes.Keys.Where(k => k.Length > prefix.Length && k.StartsWith(prefix, StringComparison.Ordinal));
    }

    public static string Parent(string path) => path.LastIndexOf('/') is var slash and >= 0 ? path[..slash] : "";

    private static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);
}
