namespace Pkg2d.Fuse;

/// <summary>
/// The kernel's node ids and the paths they stand for. An id lives while the kernel holds lookups on it
/// (LOOKUP adds one, FORGET takes some away) and is never reused, so generation numbers can stay 0.
/// </summary>
internal sealed class NodeTable
{
    public const ulong RootId = 1;

    private sealed class Node(ulong id, string path)
    {
        public readonly ulong Id = id;
        public readonly string Path = path;
        public ulong Lookups;
    }

    private readonly Dictionary<ulong, Node> _byId = [];
    private readonly Dictionary<string, Node> _byPath = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ulong _nextId = RootId + 1;

    public NodeTable()
    {
        var root = new Node(RootId, "/");
        _byId.Add(RootId, root);
        _byPath.Add("/", root);
    }

    public string? PathOf(ulong id)
    {
        lock (_lock)
            return _byId.TryGetValue(id, out var node) ? node.Path : null;
    }

    /// <summary>The id of a known path, or 0.</summary>
    public ulong IdOf(string path)
    {
        lock (_lock)
            return _byPath.TryGetValue(path, out var node) ? node.Id : 0;
    }

    /// <summary>Counts one lookup of <paramref name="path"/> and returns its id.</summary>
    public ulong Remember(string path)
    {
        lock (_lock)
        {
            if (!_byPath.TryGetValue(path, out var node))
            {
                node = new Node(_nextId++, path);
                _byId.Add(node.Id, node);
                _byPath.Add(path, node);
            }
            node.Lookups++;
            return node.Id;
        }
    }

    public void Forget(ulong id, ulong lookups)
    {
        if (id == RootId)
            return;
        lock (_lock)
        {
            if (!_byId.TryGetValue(id, out var node))
                return;
            node.Lookups = lookups >= node.Lookups ? 0 : node.Lookups - lookups;
            if (node.Lookups == 0)
            {
                _byId.Remove(id);
                _byPath.Remove(node.Path);
            }
        }
    }

    public static string Child(string parent, string name) => parent == "/" ? "/" + name : parent + "/" + name;
}
