namespace Pkg2d.Serving;

/// <summary>An on-demand image the daemon remembers: its name (the world as requested) and the world it was resolved for.</summary>
internal sealed record RememberedImage(string Name, IReadOnlyList<string> World);

/// <summary>
/// The remembered on-demand images in order of use, at most <c>limit</c> of them: adding one beyond it hands back
/// the least recently used, for the caller to forget. Thread-safe.
/// </summary>
internal sealed class RecentImages(int limit)
{
    private readonly LinkedList<RememberedImage> _order = new();
    private readonly Dictionary<string, LinkedListNode<RememberedImage>> _byName = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public bool Contains(RememberedImage image)
    {
        lock (_lock)
            return _byName.TryGetValue(image.Name, out var node) && node.Value.World.SequenceEqual(image.World);
    }

    /// <summary>Marks an image as just used; one not remembered is left alone.</summary>
    public void Touch(string name)
    {
        lock (_lock)
        {
            if (_byName.TryGetValue(name, out var node))
            {
                _order.Remove(node);
                _order.AddLast(node);
            }
        }
    }

    /// <summary>
    /// Remembers an image as the most recently used and returns what no longer fits, oldest first: a record of the
    /// same name for another world, then the least recently used beyond the limit.
    /// </summary>
    public IReadOnlyList<RememberedImage> Add(RememberedImage image)
    {
        var forgotten = new List<RememberedImage>();
        lock (_lock)
        {
            if (_byName.Remove(image.Name, out var old))
            {
                _order.Remove(old);
                if (!old.Value.World.SequenceEqual(image.World))
                    forgotten.Add(old.Value);
            }
            _byName[image.Name] = _order.AddLast(image);
            while (_order.Count > limit)
            {
                var first = _order.First!;
                _order.RemoveFirst();
                _byName.Remove(first.Value.Name);
                forgotten.Add(first.Value);
            }
        }
        return forgotten;
    }
}
