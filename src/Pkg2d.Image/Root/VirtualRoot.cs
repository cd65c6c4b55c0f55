namespace Pkg2d.Image.Root;

/// <summary>
/// A file tree keyed by real paths (relative, no leading or trailing slash), with symlinks that are followed the way
/// the kernel follows them when apk or a script opens a path inside the root.
/// </summary>
public sealed class VirtualRoot
{
    private const int MaxLinks = 40;
    private readonly Dictionary<string, RootNode> _nodes = new(StringComparer.Ordinal);

    // What each change replaced, newest last, while a journal is open (a script that may be rolled back).
    private List<(string Path, RootNode? Previous)>? _journal;

    // Names below each directory; built on the first listing, then kept up to date.
    private Dictionary<string, SortedSet<string>>? _children;

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
        {
            if (!_nodes.ContainsKey(path[..slash]))
                Put(path[..slash], RootNode.Directory());
        }
        if (_nodes.GetValueOrDefault(path) is { Kind: NodeKind.Directory } && node.Kind != NodeKind.Directory)
            Remove(path);
        Put(path, node);
    }

    /// <summary>Removes a path and everything below it.</summary>
    public void Remove(string path)
    {
        foreach (var below in Below(path).ToList())
            Put(below, null);
        Put(path, null);
    }

    /// <summary>The names directly below a directory (real path, "" for the root), in ordinal order.</summary>
    public IReadOnlyCollection<string> Children(string directory)
    {
        if (_children is null)
        {
            _children = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
            foreach (var path in _nodes.Keys)
                Index(path, add: true);
        }
        return _children.GetValueOrDefault(directory) is { } names ? names : [];
    }

    /// <summary>Starts recording changes so that <see cref="RollBack"/> can undo them.</summary>
    public void BeginJournal() => _journal = [];

    /// <summary>Keeps the changes made since <see cref="BeginJournal"/> and stops recording.</summary>
    public void Commit() => _journal = null;

    /// <summary>Undoes every change made since <see cref="BeginJournal"/> and stops recording.</summary>
    public void RollBack()
    {
        var journal = _journal ?? throw new InvalidOperationException("no journal is open");
        _journal = null;
        for (var i = journal.Count - 1; i >= 0; i--)
            Put(journal[i].Path, journal[i].Previous);
    }

    private void Put(string path, RootNode? node)
    {
        var existed = _nodes.TryGetValue(path, out var previous);
        _journal?.Add((path, previous));
        if (node is null)
        {
            if (existed && _nodes.Remove(path))
                Index(path, add: false);
            return;
        }
        _nodes[path] = node;
        if (!existed)
            Index(path, add: true);
    }

    private void Index(string path, bool add)
    {
        if (_children is null)
            return;
        var parent = Parent(path);
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (add)
        {
            if (!_children.TryGetValue(parent, out var names))
                _children[parent] = names = new SortedSet<string>(StringComparer.Ordinal);
            names.Add(name);
        }
        else if (_children.TryGetValue(parent, out var names))
        {
            names.Remove(name);
        }
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
