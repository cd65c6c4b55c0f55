using System.Runtime.InteropServices;
using Pkg2d.Apk.Index;

namespace Pkg2d.Resolve;

/// <summary>The packages to install, dependencies before their dependants (apk's install order).</summary>
public sealed class Solution(IReadOnlyList<ApkIndexEntry> packages)
{
    public IReadOnlyList<ApkIndexEntry> Packages { get; } = packages;
}

/// <summary>
/// Chooses the packages `apk add WORLD` installs on an empty root, following apk-tools 2.x: names and provides
/// (a versioned provide stands for the name; an unversioned one is a virtual name that is only chosen through a
/// provider priority or an explicitly required provider), the highest version, then provider priority, then the
/// earliest repository; conflicts (`!name`); install_if; repository tags (`name@tag`).
/// Construction only indexes names and provides (and install_if); a package's dependencies are parsed when a
/// resolution first looks at it. <see cref="Solve"/> can be called many times, also from several threads at once.
/// </summary>
public sealed class PackageSolver
{
    private const uint NameBuckets = 20000;

    // Every provider of every name in one list, chained per name in index order: one allocation, not one per name.
    private readonly Dictionary<string, (int First, int Last)> _names;
    private readonly Dictionary<string, (int First, int Last)>.AlternateLookup<ReadOnlySpan<char>> _namesBySpan;
    private readonly List<(Provider Provider, int Next)> _providers;
    private readonly Package[] _withInstallIf;
    private readonly Dictionary<string, List<InstallIfEdge>> _installIfAfter;
    private readonly Lazy<Dictionary<string, int>> _created;

    /// <param name="available">Index entries in repository order (an earlier repository wins a tie).</param>
    /// <param name="arch">The target arch; entries of other arches are ignored (`noarch` fits all).</param>
    /// <param name="repositoryTag">The `@tag` of an entry's repository, or null for an untagged repository.</param>
    public PackageSolver(IEnumerable<ApkIndexEntry> available, string arch, Func<ApkIndexEntry, string?>? repositoryTag = null)
    {
        // A copy, read again only if apk's name creation order is ever needed (see InstallIfAfter).
        ApkIndexEntry[] entries = [.. available];
        _names = new(entries.Length * 3, StringComparer.Ordinal);
        _namesBySpan = _names.GetAlternateLookup<ReadOnlySpan<char>>();
        _providers = new(entries.Length * 3);
        var withInstallIf = new List<Package>();
        var order = 0;
        foreach (var entry in entries)
        {
            if (entry.Arch is { } a && a != arch && a != "noarch")
                continue;
            var package = new Package(entry, order++, repositoryTag?.Invoke(entry), ReadConditions(entry));
            ref var own = ref CollectionsMarshal.GetValueRefOrAddDefault(_names, entry.Name, out var known);
            Chain(ref own, known, new Provider(package, entry.Version));
            // Provides are read from the line as spans (the tokens of the few packages a resolution visits are split
            // later), and looked up as spans: a string is made only for a name not seen before.
            var provides = entry.ProvidesText;
            foreach (var range in provides.Split(' '))
            {
                var token = provides[range];
                if (token.IsEmpty)
                    continue;
                var name = Token.Read(token, out var conflict, out var version);
                if (conflict || name.SequenceEqual(entry.Name))
                    continue;
                ref var chain = ref CollectionsMarshal.GetValueRefOrAddDefault(_namesBySpan, name, out known);
                // Most provides repeat the package's version: share its string.
                var shared = version < 0 ? null : token[version..].SequenceEqual(entry.Version) ? entry.Version : token[version..].ToString();
                Chain(ref chain, known, new Provider(package, shared));
            }
            if (package.Conditions.Length > 0)
                withInstallIf.Add(package);
        }
        _withInstallIf = [.. withInstallIf];
        (_installIfAfter, var sharedBuckets) = ReverseInstallIf(_withInstallIf);
        _created = new(() => CreationOrder(entries, sharedBuckets));
    }

    /// <summary>Appends a provider to the chain of a name (<paramref name="known"/>: the name has providers already).</summary>
    private void Chain(ref (int First, int Last) chain, bool known, Provider provider)
    {
        if (known)
            CollectionsMarshal.AsSpan(_providers)[chain.Last].Next = _providers.Count;
        else
            chain.First = _providers.Count;
        chain.Last = _providers.Count;
        _providers.Add((provider, -1));
    }

    /// <summary>The install_if names of an entry, read without parsing it.</summary>
    private Condition[] ReadConditions(ApkIndexEntry entry)
    {
        if (entry.InstallIf.Count == 0)
            return [];
        var conditions = new Condition[entry.InstallIf.Count];
        for (var i = 0; i < conditions.Length; i++)
        {
            // Conditions mostly name packages indexed before: share the name's string.
            var name = Token.Read(entry.InstallIf[i], out var conflict, out _);
            conditions[i] = new(_namesBySpan.TryGetValue(name, out var known, out _) ? known : name.ToString(), conflict);
        }
        return conditions;
    }

    /// <summary>How many packages are indexed as providers of a name (broken ones included).</summary>
    private int ProviderCount(string name)
    {
        if (!_names.TryGetValue(name, out var chain))
            return 0;
        var count = 0;
        for (var i = chain.First; i >= 0 && count < 2; i = _providers[i].Next)
            count++;
        return count;
    }

    /// <summary>The providers of a name, in index order. A broken package stands for no name but its own.</summary>
    private Provider[] Candidates(string name)
    {
        if (!_names.TryGetValue(name, out var chain))
            return [];
        var count = 0;
        for (var i = chain.First; i >= 0; i = _providers[i].Next)
            count++;
        var candidates = new Provider[count];
        count = 0;
        for (var i = chain.First; i >= 0; i = _providers[i].Next)
            if (_providers[i].Provider is var candidate && (candidate.Package.Name == name || candidate.Package.Broken is null))
                candidates[count++] = candidate;
        return count == candidates.Length ? candidates : candidates[..count];
    }

    /// <summary>
    /// For each name, the names whose chosen package may be installed right after it because one of their providers
    /// has it as an install_if condition. apk builds these lists by walking its name hash table (murmur3, seed 5381,
    /// 20000 buckets, newest name first in a bucket); when several install_if packages become due at once, that walk
    /// is the order apk installs them in, so it is reproduced, over just the names that have install_if providers.
    /// Names sharing a bucket are left in any order here, and returned too (see <see cref="InstallIfAfter"/>).
    /// </summary>
    private (Dictionary<string, List<InstallIfEdge>>, HashSet<string>) ReverseInstallIf(Package[] withInstallIf)
    {
        var walk = new List<(string Name, uint Bucket)>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var package in withInstallIf)
        {
            if (named.Add(package.Name))
                walk.Add((package.Name, Murmur3(package.Name, 5381) % NameBuckets));
            var provides = package.Entry.ProvidesText;
            foreach (var range in provides.Split(' '))
                if (provides[range] is { IsEmpty: false } token && Token.Read(token, out var conflict, out _) is var provide && !conflict
                    && _namesBySpan.TryGetValue(provide, out var name, out _) && named.Add(name))
                    walk.Add((name, Murmur3(name, 5381) % NameBuckets));
        }
        walk.Sort((x, y) => x.Bucket.CompareTo(y.Bucket));

        var shared = new HashSet<string>(StringComparer.Ordinal);
        var reverse = new Dictionary<string, List<InstallIfEdge>>(StringComparer.Ordinal);
        for (var i = 0; i < walk.Count; i++)
        {
            var (name, bucket) = walk[i];
            if (i > 0 && walk[i - 1].Bucket == bucket)
                shared.UnionWith([walk[i - 1].Name, name]);
            for (var p = _names[name].First; p >= 0; p = _providers[p].Next)
            {
                var package = _providers[p].Provider.Package;
                foreach (var condition in package.Conditions)
                {
                    ref var edges = ref CollectionsMarshal.GetValueRefOrAddDefault(reverse, condition.Name, out _);
                    edges ??= [];
                    if (edges.Count == 0 || edges[^1] != new InstallIfEdge(name, bucket, package))
                        edges.Add(new(name, bucket, package));
                }
            }
        }
        return (reverse, shared);
    }

    /// <summary>
    /// The chosen names to try once the package named <paramref name="name"/> is installed, in apk's walk order.
    /// Trying a name that is not chosen does nothing, and one whose install_if providers are all broken was never
    /// listed by apk, so both are left out. The order inside a bucket (newest name first) only matters when two of its
    /// names are chosen; only then is apk's name creation order worked out, once per solver.
    /// </summary>
    private IEnumerable<string> InstallIfAfter(string name, Func<string, bool> chosen)
    {
        if (!_installIfAfter.TryGetValue(name, out var edges))
            yield break;
        var bucket = new List<string>();
        for (var start = 0; start < edges.Count;)
        {
            bucket.Clear();
            var end = start;
            for (; end < edges.Count && edges[end].Bucket == edges[start].Bucket; end++)
                if (chosen(edges[end].Name) && edges[end].By.Broken is null && !bucket.Contains(edges[end].Name))
                    bucket.Add(edges[end].Name);
            if (bucket.Count > 1)
                bucket.Sort((x, y) => _created.Value[y].CompareTo(_created.Value[x]));
            foreach (var triggered in bucket)
                yield return triggered;
            start = end;
        }
    }

    /// <summary>
    /// Where apk first creates each of <paramref name="names"/>: apk creates a name when an entry first mentions it
    /// (P:, then D:, p:, i: tokens in field order, entries of every arch); a larger value is a newer name.
    /// </summary>
    private static Dictionary<string, int> CreationOrder(ApkIndexEntry[] entries, HashSet<string> names)
    {
        var created = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        var lookup = names.GetAlternateLookup<ReadOnlySpan<char>>();
        var position = 0;
        foreach (var entry in entries)
        {
            foreach (var (key, value) in entry.Fields)
            {
                if (key == 'P')
                    Note(value);
                else if (key is 'D' or 'p' or 'i')
                    foreach (var range in value.AsSpan().Split(' '))
                    {
                        var name = value.AsSpan(range).TrimStart('!');
                        var end = name.IndexOfAny("<>=~@");
                        Note(end < 0 ? name : name[..end]);
                    }
            }
            if (created.Count == names.Count)
                break;
        }
        return created;

        void Note(ReadOnlySpan<char> name)
        {
            if (lookup.TryGetValue(name, out var known))
                created.TryAdd(known, position);
            position++;
        }
    }

    private static uint Murmur3(string text, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        Span<byte> buffer = stackalloc byte[256];
        var data = System.Text.Encoding.UTF8.GetByteCount(text) <= buffer.Length ? buffer : new byte[System.Text.Encoding.UTF8.GetByteCount(text)];
        data = data[..System.Text.Encoding.UTF8.GetBytes(text, data)];
        var hash = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
            hash ^= uint.RotateLeft(k * c1, 15) * c2;
            hash = uint.RotateLeft(hash, 13) * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        if (tail.Length > 0)
        {
            uint k = 0;
            for (var i = tail.Length - 1; i >= 0; i--)
                k = (k << 8) | tail[i];
            hash ^= uint.RotateLeft(k * c1, 15) * c2;
        }
        hash ^= (uint)data.Length;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }

    /// <summary>
    /// The packages `apk add` installs for <paramref name="world"/> on an empty root, in install order.
    /// Throws <see cref="SolverException"/> listing every unsatisfiable entry or dependency.
    /// </summary>
    public Solution Solve(IReadOnlyList<string> world)
    {
        // apk sorts the world by name; the install order follows it.
        var dependencies = world.Select(Dependency.ParseWorld).OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        var learned = new Dictionary<string, List<Dependency>>(StringComparer.Ordinal);
        while (true)
        {
            var run = new Run(this, learned);
            foreach (var dependency in dependencies)
                run.Require(dependency, null, dependency.ToString());
            run.Complete();
            if (run.Relearn)
                continue;
            if (run.Problems.Count > 0)
                throw new SolverException(run.Problems.Distinct().ToArray());
            return new Solution(run.InstallOrder(dependencies));
        }
    }

    private sealed class Package
    {
        private Parsed? _parsed;

        public Package(ApkIndexEntry entry, int order, string? tag, Condition[] conditions)
        {
            Entry = entry;
            Order = order;
            Tag = tag;
            Priority = entry.ProviderPriority ?? 0;
            Conditions = conditions;
        }

        public ApkIndexEntry Entry { get; }
        public int Order { get; }
        public string? Tag { get; }
        public int Priority { get; }
        public string Name => Entry.Name;

        /// <summary>The install_if tokens, read when the package is indexed.</summary>
        public Condition[] Conditions { get; }

        /// <summary>Why the package cannot be chosen (its first malformed token), or null.</summary>
        public string? Broken => Tokens.Broken;
        public Dependency[] Depends => Tokens.Depends;
        public Dependency[] Provides => Tokens.Provides;
        public Dependency[] InstallIf => Tokens.InstallIf;

        private Parsed Tokens
        {
            get
            {
                // Parsed when a resolution first looks at the package. Several threads may parse it at once: all then
                // use the first result published.
                if (Volatile.Read(ref _parsed) is { } parsed)
                    return parsed;
                parsed = Parse(Entry);
                return Interlocked.CompareExchange(ref _parsed, parsed, null) ?? parsed;
            }
        }

        private static Parsed Parse(ApkIndexEntry entry)
        {
            try
            {
                return new(Parse(entry.Depends), Parse(entry.Provides, dropConflicts: true), Parse(entry.InstallIf), null);
            }
            catch (FormatException e)
            {
                // One malformed record must not make the whole index unusable: the package just cannot be chosen.
                return new([], [], [], e.Message);
            }
        }

        private static Dependency[] Parse(IReadOnlyList<string> tokens, bool dropConflicts = false)
        {
            if (tokens.Count == 0)
                return [];
            var parsed = new List<Dependency>(tokens.Count);
            foreach (var token in tokens)
                if (Dependency.Parse(token) is var dependency && !(dropConflicts && dependency.Conflict))
                    parsed.Add(dependency);
            return [.. parsed];
        }

        public override string ToString() => Entry.ToString();
    }

    /// <summary>A package's parsed tokens, or why the package is broken (then none).</summary>
    private sealed record Parsed(Dependency[] Depends, Dependency[] Provides, Dependency[] InstallIf, string? Broken);

    /// <summary>Reads tokens as <see cref="Dependency.Parse"/> does, without checking them: a malformed one makes its
    /// package broken when the package is parsed.</summary>
    private static class Token
    {
        /// <summary>The name; its `!`, and where its version starts (-1 without an operator).</summary>
        public static ReadOnlySpan<char> Read(string token, out bool conflict, out int version) => Read(token.AsSpan(), out conflict, out version);

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

    /// <summary>An install_if condition as indexed: the name it needs installed, or with `!` not installed.</summary>
    private readonly record struct Condition(string Name, bool Conflict);

    /// <summary>In the install_if table: <see cref="Name"/> may follow a name because package <see cref="By"/>,
    /// which provides it, has that name as an install_if condition.</summary>
    private readonly record struct InstallIfEdge(string Name, uint Bucket, Package By);

    /// <summary>A package standing for a name, at a version (null for a provide without version).</summary>
    private readonly record struct Provider(Package Package, string? Version)
    {
        public bool Satisfies(Dependency dependency) => dependency.IsSatisfiedBy(Version, Package.Entry.Checksum?.Text);
    }

    private readonly record struct Requirement(Dependency Dependency, Package? Requirer, string Root)
    {
        public string RequiredBy => Requirer?.ToString() ?? "world";
    }

    /// <summary>One attempt at a solution; <see cref="Relearn"/> asks for another with a constraint learned late.</summary>
    private sealed class Run(PackageSolver solver, Dictionary<string, List<Dependency>> learned)
    {
        private readonly Dictionary<string, Provider?> _chosen = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Requirement>> _requirements = new(StringComparer.Ordinal);
        private readonly Dictionary<string, HashSet<string>> _tags = new(StringComparer.Ordinal);
        private readonly List<Requirement> _conflicts = [];
        private readonly List<string> _pending = [];
        private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
        private readonly List<Package> _selected = [];
        private readonly Dictionary<Package, string> _roots = [];

        public List<string> Problems { get; } = [];
        public bool Relearn { get; private set; }

        public void Require(Dependency dependency, Package? requirer, string root)
        {
            var requirement = new Requirement(dependency, requirer, root);
            if (dependency.Conflict)
            {
                _conflicts.Add(requirement);
                if (_chosen.TryGetValue(dependency.Name, out var present) && present is { } p && p.Package != requirer && !p.Satisfies(dependency))
                    Problems.Add($"{root}: {p.Package} conflicts with {Describe(requirement)}");
                return;
            }
            if (!_requirements.TryGetValue(dependency.Name, out var list))
                _requirements[dependency.Name] = list = [];
            list.Add(requirement);

            // A package from a tagged repository may be used for names asked with its tag, and for their dependencies.
            var tags = Tags(dependency.Name);
            if (dependency.Tag is { } tag)
                tags.Add(tag);
            if (requirer?.Tag is { } inherited)
                tags.Add(inherited);

            if (_chosen.TryGetValue(dependency.Name, out var chosen))
            {
                if (chosen is { } provider && !provider.Satisfies(dependency))
                    Unsatisfied(dependency.Name, requirement, provider);
            }
            else if (_queued.Add(dependency.Name))
                _pending.Add(dependency.Name);
        }

        /// <summary>Chooses providers until every required name has one, then adds install_if packages, to a fixpoint.</summary>
        public void Complete()
        {
            var deferred = new List<string>();
            while (!Relearn)
            {
                while (NextPending() is { } name && !Relearn)
                    if (!_chosen.ContainsKey(name) && !Select(name, report: false))
                        deferred.Add(name);

                // A virtual name may become selectable once one of its providers is required by name.
                var progress = false;
                foreach (var name in deferred.ToArray())
                    if (_chosen.ContainsKey(name) || Select(name, report: false))
                    {
                        deferred.Remove(name);
                        progress = true;
                    }
                if (progress || _pending.Count > 0)
                    continue;
                // apk resolves every required name before any install_if one: a virtual name still without a
                // provider fails even if an install_if package that provides it is added later.
                foreach (var name in deferred)
                    if (!_chosen.ContainsKey(name))
                        Select(name, report: true);
                deferred.Clear();
                if (!Relearn && TriggerInstallIf())
                    continue;
                break;
            }
            if (Relearn)
                return;
            foreach (var name in deferred)
                if (!_chosen.ContainsKey(name))
                    Select(name, report: true);
        }

        /// <summary>The next required name to choose a provider for: like apk, first one that has a single allowed
        /// candidate left (its choice is forced, and its dependencies then narrow the others), else the oldest.</summary>
        private string? NextPending()
        {
            if (_pending.Count == 0)
                return null;
            var at = 0;
            for (var i = 0; i < _pending.Count; i++)
                if (!_chosen.ContainsKey(_pending[i]) && SingleOption(_pending[i]))
                {
                    at = i;
                    break;
                }
            var name = _pending[at];
            _pending.RemoveAt(at);
            return name;
        }

        private bool SingleOption(string name)
        {
            // Most names have one provider: no need to weigh it.
            if (solver.ProviderCount(name) <= 1)
                return true;
            var requirements = _requirements[name];
            var options = 0;
            foreach (var candidate in solver.Candidates(name))
                if (Allowed(name, candidate, requirements) && !IsAutoVirtual(candidate) && ++options > 1)
                    return false;
            return options == 1;
        }

        /// <summary>An unversioned provide without priority of a package nobody asked for by name: apk never picks it by itself.</summary>
        private bool IsAutoVirtual(Provider candidate) =>
            candidate.Version is null && candidate.Package.Priority == 0 && !_requirements.ContainsKey(candidate.Package.Name);

        private bool Select(string name, bool report)
        {
            var requirements = _requirements[name];
            var candidates = solver.Candidates(name);
            Provider? best = null;
            var virtualOnly = false;
            var explicitTags = ExplicitTags(requirements);
            foreach (var candidate in candidates)
            {
                if (!Allowed(name, candidate, requirements))
                    continue;
                if (IsAutoVirtual(candidate))
                {
                    virtualOnly = true;
                    continue;
                }
                if (best is not { } b || Compare(explicitTags, candidate, b) > 0)
                    best = candidate;
            }
            if (best is { } chosen)
            {
                Assign(chosen.Package, RootOf(requirements));
                return true;
            }
            if (virtualOnly && !report)
                return false;
            _chosen[name] = null;
            Problems.Add(Explain(name, requirements, candidates, virtualOnly));
            return true;
        }

        /// <summary>Whether choosing the candidate keeps every known constraint: on this name, on every name it
        /// would also stand for, conflicts, tags, and names already taken by another package.</summary>
        private bool Allowed(string name, Provider candidate, List<Requirement> requirements)
        {
            var package = candidate.Package;
            if (package.Broken is not null)
                return false;
            if (package.Tag is { } tag && !Tags(name).Contains(tag) && !Tags(package.Name).Contains(tag))
                return false;
            foreach (var requirement in requirements)
                if (!candidate.Satisfies(requirement.Dependency))
                    return false;
            if (!Fits(package.Name, new Provider(package, package.Entry.Version)))
                return false;
            foreach (var provide in package.Provides)
                if (!Fits(provide.Name, new Provider(package, provide.Version)))
                    return false;
            foreach (var dependency in package.Depends)
            {
                if (dependency.Conflict)
                {
                    if (_chosen.TryGetValue(dependency.Name, out var present) && present is { } p && p.Package != package && !p.Satisfies(dependency))
                        return false;
                }
                else if (!Satisfiable(dependency, package))
                    return false;
            }
            return true;
        }

        /// <summary>
        /// Whether a dependency can still be met, as far as apk looks: by the package that took its name, or, while the
        /// name is open and constrained, by a provider that also meets those constraints. apk rechecks a dependency
        /// only after a constraint or choice has ruled out a provider, so one that no provider could ever meet passes.
        /// </summary>
        private bool Satisfiable(Dependency dependency, Package requirer)
        {
            if (_chosen.TryGetValue(dependency.Name, out var present))
                return present is not { } p || p.Package == requirer || p.Satisfies(dependency);
            if (!_requirements.TryGetValue(dependency.Name, out var requirements))
                return true;
            var ever = false;
            foreach (var candidate in solver.Candidates(dependency.Name))
            {
                if (candidate.Package == requirer || !candidate.Satisfies(dependency))
                    continue;
                ever = true;
                if (requirements.All(r => candidate.Satisfies(r.Dependency)))
                    return true;
            }
            return !ever;
        }

        private bool Fits(string name, Provider provider)
        {
            if (_chosen.TryGetValue(name, out var present) && present is { } p && p.Package != provider.Package
                && !(p.Version is null && provider.Version is null))
                return false;
            if (_requirements.TryGetValue(name, out var requirements))
                foreach (var requirement in requirements)
                    if (!provider.Satisfies(requirement.Dependency))
                        return false;
            if (learned.TryGetValue(name, out var constraints))
                foreach (var constraint in constraints)
                    if (!provider.Satisfies(constraint))
                        return false;
            foreach (var conflict in _conflicts)
                if (conflict.Dependency.Name == name && conflict.Requirer != provider.Package && !provider.Satisfies(conflict.Dependency))
                    return false;
            return true;
        }

        /// <summary>apk's preference between two allowed providers of a name: positive when a is better.</summary>
        private int Compare(List<string>? explicitTags, Provider a, Provider b)
        {
            int r;
            if (explicitTags is not null
                && (r = (a.Package.Tag is { } ta && explicitTags.Contains(ta)).CompareTo(b.Package.Tag is { } tb && explicitTags.Contains(tb))) != 0)
                return r;
            if (a.Version is not null && b.Version is not null && (r = ApkVersion.Compare(a.Version, b.Version)) != 0)
                return r;
            if (a.Package.Name == b.Package.Name && (r = ApkVersion.Compare(a.Package.Entry.Version, b.Package.Entry.Version)) != 0)
                return r;
            r = a.Package.Priority.CompareTo(b.Package.Priority);
            if (r != 0)
                return r;
            // Only then the provider that more requirements name, as apk's dependency merging does among equals.
            r = RequirerCount(a.Package).CompareTo(RequirerCount(b.Package));
            if (r != 0)
                return r;
            return b.Package.Order.CompareTo(a.Package.Order);
        }

        /// <summary>Tags a requirement names (`foo@edge`): a package from such a repository is preferred.</summary>
        private static List<string>? ExplicitTags(List<Requirement> requirements)
        {
            List<string>? tags = null;
            foreach (var requirement in requirements)
                if (requirement.Dependency.Tag is { } tag)
                    (tags ??= []).Add(tag);
            return tags;
        }

        private int RequirerCount(Package package)
        {
            var count = _requirements.GetValueOrDefault(package.Name)?.Count ?? 0;
            foreach (var provide in package.Provides)
                count += _requirements.GetValueOrDefault(provide.Name)?.Count ?? 0;
            return count;
        }

        private void Assign(Package package, string root)
        {
            // Like apk, a package that stands for one name twice (its own name among its provides, or a name provided
            // twice, unless both times without version) conflicts with itself.
            for (var i = 0; i < package.Provides.Length; i++)
            {
                var provide = package.Provides[i];
                if (provide.Name == package.Name
                    || package.Provides.AsSpan(0, i).ToArray().Any(p => p.Name == provide.Name && (p.Version is not null || provide.Version is not null)))
                    Problems.Add($"{root}: {package} conflicts with itself: it provides '{provide}' besides being {package.Name}"
                        + (provide.Name == package.Name ? "" : " and providing it already"));
            }
            _selected.Add(package);
            _roots[package] = root;
            _chosen[package.Name] = new Provider(package, package.Entry.Version);
            foreach (var provide in package.Provides)
                if (!_chosen.TryGetValue(provide.Name, out var present) || present is null)
                    _chosen[provide.Name] = new Provider(package, provide.Version);
            foreach (var dependency in package.Depends)
                Require(dependency, package, root);
        }

        /// <summary>Adds the best package of each name whose install_if conditions all hold; true when one was added.</summary>
        private bool TriggerInstallIf()
        {
            var best = new Dictionary<string, Provider>(StringComparer.Ordinal);
            foreach (var package in solver._withInstallIf)
            {
                // Only a package whose conditions all name chosen packages can be due: test that before parsing it.
                if (_chosen.ContainsKey(package.Name) || !ConditionsChosen(package) || package.Broken is not null)
                    continue;
                if (package.Tag is { } tag && !Tags(package.Name).Contains(tag))
                    continue;
                var triggered = true;
                foreach (var condition in package.InstallIf)
                    if (!(_chosen.TryGetValue(condition.Name, out var p) && p is { } provider ? provider.Satisfies(condition) : condition.Conflict))
                    {
                        triggered = false;
                        break;
                    }
                var candidate = new Provider(package, package.Entry.Version);
                // A version whose dependencies can no longer be met is passed over for an older one, or for none.
                if (!triggered || !Fits(package.Name, candidate) || !package.Provides.All(p => Fits(p.Name, new Provider(package, p.Version)))
                    || !package.Depends.All(d => d.Conflict || Satisfiable(d, package)))
                    continue;
                if (!best.TryGetValue(package.Name, out var current)
                    || ApkVersion.Compare(package.Entry.Version, current.Version!) > 0
                    || (ApkVersion.Compare(package.Entry.Version, current.Version!) == 0 && package.Priority > current.Package.Priority))
                    best[package.Name] = candidate;
            }
            foreach (var (_, provider) in best)
            {
                var trigger = provider.Package.InstallIf.Select(c => _chosen.GetValueOrDefault(c.Name)?.Package).OfType<Package>().FirstOrDefault();
                Assign(provider.Package, trigger is not null && _roots.TryGetValue(trigger, out var root) ? root : provider.Package.Name);
            }
            return best.Count > 0;
        }

        private bool ConditionsChosen(Package package)
        {
            foreach (var condition in package.Conditions)
                if (!condition.Conflict && _chosen.GetValueOrDefault(condition.Name) is null)
                    return false;
            return true;
        }

        /// <summary>A requirement met after its name was taken: learn it and start over when another provider fits,
        /// otherwise report it.</summary>
        private void Unsatisfied(string name, Requirement requirement, Provider chosen)
        {
            var candidates = solver.Candidates(name);
            var all = _requirements[name];
            var known = learned.GetValueOrDefault(name);
            if ((known is null || !known.Contains(requirement.Dependency))
                && candidates.Any(c => c.Package != chosen.Package && all.All(r => c.Satisfies(r.Dependency))))
            {
                if (known is null)
                    learned[name] = known = [];
                known.Add(requirement.Dependency);
                Relearn = true;
                return;
            }
            if (!candidates.Any(c => c.Satisfies(requirement.Dependency)))
            {
                Problems.Add(Only(requirement.Root, [requirement], candidates));
                return;
            }
            var others = all.Where(r => r.Dependency != requirement.Dependency).Select(Describe).Distinct().ToArray();
            Problems.Add($"{requirement.Root}: {Describe(requirement)} is not met by {chosen.Package}, "
                + (others.Length > 0 ? $"chosen for {string.Join(", ", others)}" : "chosen for another name it provides"));
        }

        private static string Only(string root, List<Requirement> requirements, Provider[] candidates)
        {
            var packages = string.Join(", ", candidates.Select(c => c.Package.ToString()).Distinct());
            return $"{Prefix(root, requirements)}: only {packages} {(candidates.Length == 1 ? "is" : "are")} available";
        }

        /// <summary>The world entry a problem comes from, then the requirements at fault unless that is just the entry.</summary>
        private static string Prefix(string root, List<Requirement> requirements)
        {
            var wanted = string.Join(", ", requirements.Select(Describe).Distinct());
            return wanted == root ? root : $"{root}: {wanted}";
        }

        private string Explain(string name, List<Requirement> requirements, Provider[] candidates, bool virtualOnly)
        {
            var root = RootOf(requirements);
            var wanted = Prefix(root, requirements);
            if (candidates.Length == 0)
                return requirements.All(r => r.Requirer is null)
                    ? $"{string.Join(", ", requirements.Select(Describe).Distinct())}: no such package"
                    : $"{root}: no package provides '{name}' ({RequiredBy(requirements)})";
            var packages = string.Join(", ", candidates.Select(c => c.Package.ToString()).Distinct());
            if (virtualOnly)
                return $"{root}: '{name}' is a virtual package provided by {packages}; select one of them explicitly ({RequiredBy(requirements)})";
            var broken = candidates.Where(c => c.Package.Broken is not null).Select(c => c.Package.Broken).FirstOrDefault();
            if (broken is not null && candidates.All(c => c.Package.Broken is not null))
                return $"{wanted}: {broken}";
            if (candidates.All(c => c.Package.Tag is { } tag && !Tags(name).Contains(tag)))
                return $"{wanted}: only {packages} available, in repository @{candidates[0].Package.Tag} (use {name}@{candidates[0].Package.Tag})";
            var conflicts = _conflicts.Where(c => c.Dependency.Name == name || candidates.Any(p => p.Package.Name == c.Dependency.Name)).ToArray();
            var versionsFit = candidates.Any(c => requirements.All(r => c.Satisfies(r.Dependency)));
            if (versionsFit && conflicts.Length > 0)
                return $"{wanted} conflicts with {string.Join(", ", conflicts.Select(c => $"'{c.Dependency}' of {c.RequiredBy}"))}";
            if (versionsFit)
            {
                var candidate = candidates.First(c => requirements.All(r => c.Satisfies(r.Dependency))).Package;
                var names = candidate.Provides.Select(p => (p.Name, p.Version)).Prepend((candidate.Name, candidate.Entry.Version)).ToArray();
                var clash = names.Select(n => (n.Name, Holder: _chosen.GetValueOrDefault(n.Name)?.Package))
                    .FirstOrDefault(h => h.Holder is not null && h.Holder != candidate);
                if (clash.Holder is not null)
                    return $"{wanted}: {candidate} and {clash.Holder} both provide '{clash.Name}'";
                if (candidate.Depends.FirstOrDefault(d => !d.Conflict && !Satisfiable(d, candidate)) is { } unmet)
                    return $"{wanted}: {candidate} needs '{unmet}', " + Blocking(unmet);
                var ruling = names.SelectMany(n => (_requirements.GetValueOrDefault(n.Name) ?? [])
                        .Where(r => !new Provider(candidate, n.Version).Satisfies(r.Dependency)))
                    .Select(Describe).FirstOrDefault();
                return ruling is not null
                    ? $"{wanted}: provided by {candidate}, which {ruling} rules out"
                    : $"{wanted}: {packages} cannot be installed with the packages already chosen";
            }
            return Only(root, requirements, candidates);
        }

        /// <summary>What keeps a dependency from being met: the package that took its name, or the constraints on it.</summary>
        private string Blocking(Dependency dependency)
        {
            if (_chosen.GetValueOrDefault(dependency.Name) is { } holder)
            {
                var why = _requirements.GetValueOrDefault(dependency.Name)?.Where(r => r.Requirer != holder.Package).Select(Describe).Distinct().ToArray() ?? [];
                return $"but {holder.Package} was chosen" + (why.Length > 0 ? $" for {string.Join(", ", why)}" : "");
            }
            var packages = string.Join(", ", solver.Candidates(dependency.Name).Select(c => c.Package.ToString()).Distinct());
            return $"which {string.Join(", ", _requirements[dependency.Name].Select(Describe).Distinct())} rules out (available: {packages})";
        }

        private static string Describe(Requirement r) =>
            r.Requirer is null ? r.Dependency.ToString() : $"'{r.Dependency}' (required by {r.Requirer})";

        private static string RequiredBy(List<Requirement> requirements) =>
            "required by " + string.Join(", ", requirements.Select(r => r.RequiredBy).Distinct());

        private static string RootOf(List<Requirement> requirements) => requirements[0].Root;

        private HashSet<string> Tags(string name) =>
            _tags.TryGetValue(name, out var tags) ? tags : _tags[name] = new HashSet<string>(StringComparer.Ordinal);

        /// <summary>
        /// apk's changeset order: world entries by name, each package after its dependencies (depth first, in D:
        /// order; a cycle is cut where it closes), and install_if packages right after the package completing them.
        /// </summary>
        public List<ApkIndexEntry> InstallOrder(Dependency[] world)
        {
            var order = new List<ApkIndexEntry>(_selected.Count);
            var namesDone = new HashSet<string>(StringComparer.Ordinal);
            var packagesDone = new HashSet<Package>();
            Func<string, bool> chosen = _chosen.ContainsKey;

            void Name(string name)
            {
                if (namesDone.Contains(name))
                    return;
                if (_chosen.GetValueOrDefault(name) is not { } provider)
                {
                    namesDone.Add(name);
                    return;
                }
                var package = provider.Package;
                if (package.Name != name)
                    namesDone.Add(name);
                if (!packagesDone.Add(package))
                    return;
                namesDone.Add(package.Name);
                foreach (var provide in package.Provides)
                    namesDone.Add(provide.Name);
                // Like apk, a conflict also visits its name: an installed package it tolerates comes first.
                foreach (var dependency in package.Depends)
                    Name(dependency.Name);
                order.Add(package.Entry);
                foreach (var triggered in solver.InstallIfAfter(package.Name, chosen))
                    InstallIf(triggered);
            }

            void InstallIf(string name)
            {
                if (namesDone.Contains(name) || _chosen.GetValueOrDefault(name) is not { } provider)
                    return;
                foreach (var condition in provider.Package.InstallIf)
                    if (!namesDone.Contains(condition.Name)
                        || !(_chosen.GetValueOrDefault(condition.Name) is { } p ? p.Satisfies(condition) : condition.Conflict))
                        return;
                Name(name);
            }

            foreach (var dependency in world)
                Name(dependency.Name);
            foreach (var package in _selected)
                Name(package.Name);
            return order;
        }
    }
}
