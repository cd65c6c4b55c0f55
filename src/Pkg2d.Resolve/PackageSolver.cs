using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Pkg2d.Apk.Index;

namespace Pkg2d.Resolve;

/// <summary>The packages to install, dependencies before their dependants (apk's install order).</summary>
public sealed class Solution(IReadOnlyList<ApkIndexEntry> packages)
{
    public IReadOnlyList<ApkIndexEntry> Packages { get; } = packages;
}

/// <summary>
/// Chooses the packages `apk add WORLD` installs on an empty root, as apk-tools' own solver does, for the generation
/// the repositories are installed with (see <see cref="SolverRun"/>). Construction indexes names, provides and
/// install_if; a package's dependencies are parsed when a resolution first looks at it. <see cref="Solve"/> can be
/// called many times, also from several threads at once.
/// </summary>
public sealed class PackageSolver
{
    // Every provider of every name in one list, chained per name from the last to the first: no object per name. A
    // resolution makes a SolverName only for the names it meets (a few hundred of an index's tens of thousands).
    private readonly Dictionary<string, IndexedName> _index;
    private readonly Dictionary<string, IndexedName>.AlternateLookup<ReadOnlySpan<char>> _indexBySpan;
    private readonly List<(SolverProvider Provider, int Previous)> _chain;
    private readonly ConcurrentDictionary<string, SolverName> _made = new(StringComparer.Ordinal);
    // For each install_if condition's name, the names with a provider it may trigger, in apk's name-table walk order.
    private readonly Dictionary<string, List<string>> _reverseInstallIf;
    private readonly Dictionary<string, int> _tags = new(StringComparer.Ordinal);
    private int _nameCount;
    private int _laterNames;

    /// <summary>A name of the index: its last provider in the chain (-1: none) and when the index first mentioned it.</summary>
    private record struct IndexedName(int Last, int Sequence);

    /// <param name="available">Index entries in repository order (an earlier repository wins a tie).</param>
    /// <param name="arch">The target arch; entries of other arches are ignored (`noarch` fits all).</param>
    /// <param name="repositoryTag">The `@tag` of an entry's repository, or null for an untagged repository.</param>
    /// <param name="generation">The apk-tools whose choices to follow: the repositories' own.</param>
    public PackageSolver(IEnumerable<ApkIndexEntry> available, string arch, Func<ApkIndexEntry, string?>? repositoryTag = null,
        ApkToolsGeneration generation = ApkToolsGeneration.V2)
    {
        Generation = generation;
        ApkIndexEntry[] entries = [.. available];
        _index = new(entries.Length * 3, StringComparer.Ordinal);
        _indexBySpan = _index.GetAlternateLookup<ReadOnlySpan<char>>();
        _chain = new(entries.Length * 3);
        var repositories = new Dictionary<string, int>(StringComparer.Ordinal);
        string? lastRepository = null;
        var repository = 0;
        var packages = new SolverPackage[entries.Length];
        var count = 0;
        var walk = new List<string>();
        foreach (var entry in entries)
        {
            if (entry.Arch is { } a && a != arch && a != "noarch")
                continue;
            // The entries of one index share their repository's string: look it up only when it changes.
            if (!ReferenceEquals(entry.Repository, lastRepository))
            {
                lastRepository = entry.Repository;
                ref var known = ref CollectionsMarshal.GetValueRefOrAddDefault(repositories, lastRepository, out var seen);
                if (!seen)
                    known = repositories.Count - 1;
                repository = known;
            }
            var tag = repositoryTag?.Invoke(entry) is { } text ? TagIndex(text, add: true) : 0;
            // Names are numbered in the order apk creates them reading the entry: its name, provides, install_if.
            var package = packages[count] = new SolverPackage(this, entry, count, repository, tag);
            count++;
            Chain(ref Index(entry.Name), new(package, entry.Version));
            var triggered = !entry.InstallIfText.IsEmpty;
            if (triggered)
                walk.Add(entry.Name);
            // Every p: line counts, as in apk; tokens are read as spans: a string is made only for a new name.
            var provides = entry.ProvidesText;
            foreach (var range in provides.Split(' '))
            {
                var token = provides[range];
                if (token.IsEmpty)
                    continue;
                var provided = Token.Read(token, out var conflict, out var at);
                if (conflict)
                    continue;
                // Most provides repeat the package's version: share its string.
                var version = at < 0 ? null : token[at..].SequenceEqual(entry.Version) ? entry.Version : token[at..].ToString();
                Chain(ref Index(provided), new(package, version));
                if (triggered)
                    walk.Add(Key(provided));
            }
            if (triggered)
                package.InstallIfNames = ReadInstallIf(entry);
        }
        Packages = count == packages.Length ? packages : packages[..count];
        _reverseInstallIf = ReverseInstallIf(walk);
    }

    internal ApkToolsGeneration Generation { get; }

    internal SolverPackage[] Packages { get; }

    /// <summary>How many names a resolution has met so far (their <see cref="SolverName.Id"/>s are below it).</summary>
    internal int NameCount => Volatile.Read(ref _nameCount);

    /// <summary>
    /// The packages `apk add` installs for <paramref name="world"/> on an empty root, in install order.
    /// Throws <see cref="SolverException"/> with apk's report of the packages and constraints at fault.
    /// </summary>
    public Solution Solve(IReadOnlyList<string> world)
    {
        // `apk add` keeps one entry per name (the last given, where the first stood), then sorts them by name.
        var entries = new List<Dependency>(world.Count);
        foreach (var dependency in world.Select(Dependency.ParseWorld))
            if (entries.FindIndex(d => d.Name == dependency.Name) is var at and >= 0)
                entries[at] = dependency;
            else
                entries.Add(dependency);
        var dependencies = entries.Select(d => new SolverDependency(Lookup(d.Name), d)).OrderBy(d => d.Name.Text, StringComparer.Ordinal).ToArray();
        return new SolverRun(this, dependencies).Solve();
    }

    /// <summary>The name's one SolverName, made when first asked for: with its providers when the index has it.</summary>
    internal SolverName Lookup(string name) => _made.TryGetValue(name, out var made) ? made : _made.GetOrAdd(name, Make);

    private SolverName Make(string name)
    {
        var id = Interlocked.Increment(ref _nameCount) - 1;
        if (!_index.TryGetValue(name, out var indexed))
            return new SolverName(this, name, id, _index.Count + Interlocked.Increment(ref _laterNames), []);
        var providers = new List<SolverProvider>();
        for (var at = indexed.Last; at >= 0; at = _chain[at].Previous)
            providers.Add(_chain[at].Provider);
        providers.Reverse();
        return new SolverName(this, name, id, indexed.Sequence, [.. providers]);
    }

    /// <summary>The names <see cref="SolverName.ReverseInstallIf"/> lists for <paramref name="name"/>.</summary>
    internal SolverName[] ReverseInstallIfOf(string name) =>
        _reverseInstallIf.TryGetValue(name, out var names) ? [.. names.Select(Lookup)] : [];

    /// <summary>The pinning bit of a repository tag: 0 is untagged repositories; a tag no repository has gets none.</summary>
    internal int TagIndex(string tag) => TagIndex(tag, add: false);

    private int TagIndex(string tag, bool add)
    {
        if (_tags.TryGetValue(tag, out var index))
            return index;
        if (!add)
            return -1;
        return _tags[tag] = _tags.Count + 1;
    }

    /// <summary>The tag of a pinning bit, for messages.</summary>
    internal string? TagName(int index) => _tags.FirstOrDefault(t => t.Value == index).Key;

    /// <summary>The index's name, numbered when first met.</summary>
    private ref IndexedName Index(string name)
    {
        ref var indexed = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, name, out var known);
        if (!known)
            indexed = new(-1, _index.Count - 1);
        return ref indexed;
    }

    /// <summary>The index's name, numbered when first met (a string is made only for a new name).</summary>
    private ref IndexedName Index(ReadOnlySpan<char> name)
    {
        ref var indexed = ref CollectionsMarshal.GetValueRefOrAddDefault(_indexBySpan, name, out var known);
        if (!known)
            indexed = new(-1, _index.Count - 1);
        return ref indexed;
    }

    /// <summary>The string the index keeps for an indexed name.</summary>
    private string Key(ReadOnlySpan<char> name) => _indexBySpan.TryGetValue(name, out var key, out _) ? key : throw new KeyNotFoundException(name.ToString());

    /// <summary>Appends a provider to the chain of an indexed name.</summary>
    private void Chain(ref IndexedName indexed, SolverProvider provider)
    {
        _chain.Add((provider, indexed.Last));
        indexed.Last = _chain.Count - 1;
    }

    /// <summary>The names of an entry's install_if conditions, read as spans (the conditions are parsed later).</summary>
    private string[] ReadInstallIf(ApkIndexEntry entry)
    {
        var text = entry.InstallIfText;
        if (text.IsEmpty)
            return [];
        var names = new List<string>();
        foreach (var range in text.Split(' '))
            if (text[range] is { IsEmpty: false } token && Token.Read(token, out _, out _) is var name)
            {
                // Conditions mostly name packages indexed before: share the name's string.
                if (!_indexBySpan.TryGetValue(name, out var key, out _))
                    _index[key = name.ToString()] = new(-1, _index.Count);
                names.Add(key);
            }
        return [.. names];
    }

    /// <summary>Parses a package's D:, p: and i: tokens (called once per package, when a resolution first needs them).</summary>
    internal SolverPackage.Parsed ParseTokens(SolverPackage package)
    {
        try
        {
            var entry = package.Entry;
            var depends = entry.Depends.Select(Dependency.Parse).Select(d => new SolverDependency(Lookup(d.Name), d));
            var provides = entry.Provides.Select(Dependency.Parse).Where(d => !d.Conflict).Select(d => new SolverDependency(Lookup(d.Name), d));
            var installIf = entry.InstallIf.Select(Dependency.Parse).Select(d => new SolverDependency(Lookup(d.Name), d));
            return new([.. depends], [.. provides], [.. installIf], null);
        }
        catch (FormatException e)
        {
            // One malformed record must not make the whole index unusable: the package just cannot be chosen.
            return new([], [], [], e.Message);
        }
    }

    /// <summary>
    /// Each name's reverse install_if list as apk makes it: walking the names with an install_if provider in its
    /// hash table's order, each added to the list of every name its providers' conditions mention.
    /// </summary>
    private Dictionary<string, List<string>> ReverseInstallIf(List<string> walk)
    {
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var name in InWalkOrder(walk.Distinct().ToList(), SolverName.BucketOf, n => _index[n].Sequence))
            // Each list takes the name once, whichever of its providers' conditions names the list's name.
            for (var at = _index[name].Last; at >= 0; at = _chain[at].Previous)
                foreach (var condition in _chain[at].Provider.Package.InstallIfNames)
                {
                    ref var list = ref CollectionsMarshal.GetValueRefOrAddDefault(lists, condition, out _);
                    list ??= [];
                    if (list.Count == 0 || list[^1] != name)
                        list.Add(name);
                }
        return lists;
    }

    /// <summary>
    /// Sorts names into the order apk's name hash table walk meets them (murmur3, seed 5381, 20000 buckets; in a
    /// bucket, the newest name first). Names are numbered in the order entries first name them (P:, p:, i:), which
    /// is apk's creation order unless a D: token named one earlier: apk's exact order would need every D: line
    /// read, too slow to pay for a tie that rarely matters.
    /// </summary>
    internal static List<T> InWalkOrder<T>(List<T> names, Func<T, uint> bucket, Func<T, int> sequence)
    {
        var keyed = names.ConvertAll(n => (Name: n, Bucket: bucket(n), Sequence: sequence(n)));
        keyed.Sort((x, y) => x.Bucket != y.Bucket ? x.Bucket.CompareTo(y.Bucket) : y.Sequence.CompareTo(x.Sequence));
        return keyed.ConvertAll(k => k.Name);
    }

    /// <summary>Reads tokens as <see cref="Dependency.Parse"/> does, without checking them.</summary>
    private static class Token
    {
        /// <summary>The name; its `!`, and where its version starts (-1 without an operator).</summary>
        public static ReadOnlySpan<char> Read(ReadOnlySpan<char> token, out bool conflict, out int version)
        {
            var text = token;
            conflict = text.StartsWith('!');
            if (conflict)
                text = text[1..];
            var op = text.IndexOfAny("<>=~");
            var name = op < 0 ? text : text[..op];
            if (name.IndexOf('@') is var at and >= 0)
                name = name[..at];
            version = op < 0 ? -1 : token.Length - text[op..].TrimStart("<>=~").Length;
            return name;
        }
    }
}
