using System.Collections;

namespace Pkg2d.Image.Scripts;

/// <summary>The absolute paths a command names, in order, compared by value so commands compare as values.</summary>
public sealed class PathList(IEnumerable<string> paths) : IReadOnlyList<string>, IEquatable<PathList>
{
    private readonly string[] _paths = [.. paths];

    public int Count => _paths.Length;

    public string this[int index] => _paths[index];

    public bool Equals(PathList? other) => other is not null && _paths.AsSpan().SequenceEqual(other._paths);

    public override bool Equals(object? obj) => Equals(obj as PathList);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var path in _paths)
            hash.Add(path);
        return hash.ToHashCode();
    }

    public override string ToString() => string.Join(' ', _paths);

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_paths).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
