using Pkg2d.Image.Packages;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// The simulated root as commands of a script see it: paths taken from the working directory and followed through
/// symlinks the way the kernel follows them, file contents (read from the package a file came from when needed),
/// and changes. /dev, /proc and /sys are not modelled (the runtime provides them): looking into them is not
/// emulated. (The shell itself treats redirections to /dev/null as a sink.)
/// </summary>
public sealed class RootFiles(VirtualRoot tree, Func<PackageFacts, string, byte[]?>? readPackageFile = null)
{
    private static readonly RootNode RootDirectory = RootNode.Directory();

    public VirtualRoot Tree { get; } = tree;

    /// <summary>
    /// The real path (relative, no leading slash, "" for the root) that <paramref name="path"/> names from
    /// <paramref name="workingDirectory"/> (an absolute path). A path ending in `/` always follows its last link.
    /// </summary>
    public string Real(string workingDirectory, string path, bool followLast = true)
    {
        if (path.Length == 0)
            throw new ArgumentException("an empty path names nothing", nameof(path));
        var full = path[0] == '/' ? path : workingDirectory.TrimEnd('/') + "/" + path;
        var real = Tree.Resolve(full.TrimStart('/'), followLast || full.EndsWith('/'));
        if (IsUnmodelled(real))
            throw new NotEmulatedException($"/{real} is not modelled (devices, /proc and /sys belong to the host)");
        return real;
    }

    /// <summary>Inside /dev, /proc or /sys, which the runtime provides (the directories themselves are in the root).</summary>
    public static bool IsUnmodelled(string real) =>
        real.StartsWith("dev/", StringComparison.Ordinal) || real.StartsWith("proc/", StringComparison.Ordinal) || real.StartsWith("sys/", StringComparison.Ordinal);

    /// <summary>/dev, /proc or /sys: what they hold is the runtime's.</summary>
    private static bool IsHostDirectory(string real) => real is "dev" or "proc" or "sys";

    // Files being appended to (`>>`, or `>` written by several commands), with room to grow: each write adds to the
    // buffer instead of copying the whole file, and the file's node gets the content when anything looks at the
    // file, when the file is replaced, and when the script ends (Flush).
    private readonly Dictionary<string, Appended> _appended = new(StringComparer.Ordinal);

    private sealed class Appended(RootNode node, byte[] content)
    {
        /// <summary>The node whose content the buffer extends: the append is lost if the path no longer holds it.</summary>
        public RootNode Node { get; } = node;

        public byte[] Buffer { get; set; } = content;

        public int Length { get; set; } = content.Length;
    }

    /// <summary>The node at a real path; the root itself is a directory.</summary>
    public RootNode? this[string real]
    {
        get
        {
            if (real.Length == 0)
                return RootDirectory;
            Flush(real);
            return Tree[real];
        }
    }

    /// <summary>What kind of node is at a real path (what appending leaves unchanged), or null.</summary>
    public NodeKind? KindOf(string real) => real.Length == 0 ? NodeKind.Directory : Tree[real]?.Kind;

    public bool IsDirectory(string real) => KindOf(real) == NodeKind.Directory;

    /// <summary>The names in a directory, in byte order (as `ls` and globbing sort them).</summary>
    public IReadOnlyCollection<string> List(string real) => IsHostDirectory(real)
        ? throw new NotEmulatedException($"the contents of /{real} are not modelled (they belong to the host)")
        : Tree.Children(real);

    /// <summary>A file's content. Content that only its package has is read from the package.</summary>
    public byte[] Read(string real) => this[real] switch
        {
            { Kind: NodeKind.File, Source: GeneratedSource generated } => generated.Content,
            { Kind: NodeKind.File, Source: PackageEntrySource { Package: var package, Entry: var entry } } =>
                package.KeptContents.GetValueOrDefault(entry.Path)
                ?? readPackageFile?.Invoke(package, entry.Type == PackageFileType.HardLink ? entry.LinkTarget ?? entry.Path : entry.Path)
                ?? throw new NotEmulatedException($"reading /{real} needs the bytes of {package}"),
            { Kind: NodeKind.File } => [],
            _ => throw new InvalidOperationException($"/{real} is not a file"),
        };

    /// <summary>Gives a file new content; an existing file keeps its mode, owner and package, a new one gets <paramref name="mode"/> and root.</summary>
    public void Write(string real, byte[] content, int mode)
    {
        if (content.Length > ShellHost.FileLimit)
            throw TooLarge(real);
        Set(real, this[real] is { Kind: NodeKind.File } existing
            ? existing with { Source = new GeneratedSource(content) }
            : RootNode.Generated(content, mode));
    }

    /// <summary>Adds bytes at the end of a file (which must be one).</summary>
    public void Append(string real, ReadOnlySpan<byte> bytes)
    {
        if (!_appended.TryGetValue(real, out var appended) || !ReferenceEquals(Tree[real], appended.Node))
        {
            var content = Read(real);
            _appended[real] = appended = new Appended(Tree[real]!, content);
        }
        var length = appended.Length + (long)bytes.Length;
        if (length > ShellHost.FileLimit)
            throw TooLarge(real);
        if (length > appended.Buffer.Length)
        {
            var grown = new byte[(int)Math.Min(Math.Max(length, 2L * appended.Buffer.Length), ShellHost.FileLimit)];
            appended.Buffer.AsSpan(0, appended.Length).CopyTo(grown);
            appended.Buffer = grown;
        }
        bytes.CopyTo(appended.Buffer.AsSpan(appended.Length));
        appended.Length = (int)length;
    }

    /// <summary>Puts what was appended to files into their nodes (which <see cref="Tree"/> alone does not see).</summary>
    public void Flush()
    {
        foreach (var real in _appended.Keys.ToList())
            Flush(real);
    }

    private void Flush(string real)
    {
        if (_appended.Count == 0 || !_appended.Remove(real, out var appended) || !ReferenceEquals(Tree[real], appended.Node))
            return;
        var content = appended.Buffer.Length == appended.Length ? appended.Buffer : appended.Buffer[..appended.Length];
        Tree.Set(real, appended.Node with { Source = new GeneratedSource(content) });
    }

    private static NotEmulatedException TooLarge(string real) =>
        new($"/{real} exceeds {ShellHost.FileLimit >> 20} MiB, not emulated");

    public void Set(string real, RootNode node)
    {
        _appended.Remove(real);
        Tree.Set(real, node);
    }

    public void Remove(string real)
    {
        _appended.Remove(real);
        Tree.Remove(real);
    }

    public static string Parent(string real) => VirtualRoot.Parent(real);

    public static string Name(string real) => real[(real.LastIndexOf('/') + 1)..];
}
