using System.Collections;

namespace Pkg2d.Apk.Index;

/// <summary>
/// Index fields whose keys are known up front and whose values are made when first read: loading an index from a
/// compact form (a snapshot) then costs no string for a description, URL or maintainer that nobody asks for.
/// </summary>
public abstract class LazyFields : IReadOnlyList<KeyValuePair<char, string>>
{
    public abstract int Count { get; }

    public abstract char KeyAt(int index);

    /// <summary>The value of field <paramref name="index"/>: an equal string every time.</summary>
    public abstract string ValueAt(int index);

    public KeyValuePair<char, string> this[int index] => new(KeyAt(index), ValueAt(index));

    public IEnumerator<KeyValuePair<char, string>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
            yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
