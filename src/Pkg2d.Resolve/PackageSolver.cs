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
/// Lookup tables are built once here; <see cref="Solve"/> can be called many times.
/// </summary>
public sealed class PackageSolver
{
    private readonly Dictionary<string, Provider[]> _providers;
    private readonly Dictionary<string, string[]> _installIfByName;
    private readonly Package[] _withInstallIf;

    /// <param name="available">Index entries in repository order (an earlier repository wins a tie).</param>
    /// <param name="arch">The target arch; entries of other arches are ignored (`noarch` fits all).</param>
    /// <param name="repositoryTag">The `@tag` of an entry's repository, or null for an untagged repository.</param>
    public PackageSolver(IEnumerable<ApkIndexEntry> available, string arch, Func<ApkIndexEntry, string?>? repositoryTag = null)
    {
        var providers = new Dictionary<string, List<Provider>>(StringComparer.Ordinal);
        var withInstallIf = new List<Package>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = 0;
        foreach (var entry in available)
        {
            NoteNames(names, entry);
            if (entry.Arch is { } a && a != arch && a != "noarch")
                continue;
            var package = new Package(entry, order++, repositoryTag?.Invoke(entry));
            Add(providers, entry.Name, new Provider(package, entry.Version));
            foreach (var provide in package.Provides)
                if (provide.Name != entry.Name)
                    Add(providers, provide.Name, new Provider(package, provide.Version));
            if (package.InstallIf.Length > 0)
                withInstallIf.Add(package);
        }
        _providers = providers.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        _withInstallIf = [.. withInstallIf];
        _installIfByName = ReverseInstallIf(names, _providers);
    }

    /// <summary>Records, in apk's order of creation, every name an entry mentions (P:, then D:, p:, i: tokens).</summary>
    private static void NoteNames(Dictionary<string, int> names, ApkIndexEntry entry)
    {
        foreach (var (key, value) in entry.Fields)
        {
            if (key == 'P')
                names.TryAdd(value, names.Count);
            else if (key is 'D' or 'p' or 'i')
                foreach (var token in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var name = token.AsSpan().TrimStart('!');
                    var end = name.IndexOfAny("<>=~@");
                    names.TryAdd((end < 0 ? name : name[..end]).ToString(), names.Count);
                }
        }
    }

    /// <summary>
    /// For each name, the names whose chosen package may be installed right after it because one of their providers
    /// has it as an install_if condition. apk builds these lists by walking its name hash table (murmur3, seed 5381,
    /// 20000 buckets, newest entry first in a bucket); when several install_if packages become due at once, that walk
    /// is the order apk installs them in, so it is reproduced here.
    /// </summary>
    private static Dictionary<string, string[]> ReverseInstallIf(Dictionary<string, int> names, Dictionary<string, Provider[]> providers)
    {
        const int buckets = 20000;
        var walk = names.Select(n => (Name: n.Key, Created: n.Value, Bucket: Murmur3(n.Key, 5381) % buckets))
            .OrderBy(n => n.Bucket).ThenByDescending(n => n.Created);
        var reverse = new Dictionary<string, (List<string> Names, HashSet<string> Seen)>(StringComparer.Ordinal);
        foreach (var (name, _, _) in walk)
        {
            if (!providers.TryGetValue(name, out var provided))
                continue;
            foreach (var provider in provided)
                foreach (var condition in provider.Package.InstallIf)
                {
                    if (!reverse.TryGetValue(condition.Name, out var list))
                        reverse[condition.Name] = list = ([], new HashSet<string>(StringComparer.Ordinal));
                    if (list.Seen.Add(name))
                        list.Names.Add(name);
                }
        }
        return reverse.ToDictionary(p => p.Key, p => p.Value.Names.ToArray(), StringComparer.Ordinal);
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

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = [];
        list.Add(value);
    }

    private sealed class Package
    {
        public Package(ApkIndexEntry entry, int order, string? tag)
        {
            Entry = entry;
            Order = order;
            Tag = tag;
            Priority = entry.ProviderPriority ?? 0;
            try
            {
                Depends = entry.Depends.Select(Dependency.Parse).ToArray();
                Provides = entry.Provides.Select(Dependency.Parse).Where(p => !p.Conflict).ToArray();
                InstallIf = entry.InstallIf.Select(Dependency.Parse).ToArray();
            }
            catch (FormatException e)
            {
                // One malformed record must not make the whole index unusable: the package just cannot be chosen.
                Broken = e.Message;
                Depends = Provides = InstallIf = [];
            }
        }

        public ApkIndexEntry Entry { get; }
        public int Order { get; }
        public string? Tag { get; }
        public int Priority { get; }
        public string? Broken { get; }
        public Dependency[] Depends { get; }
        public Dependency[] Provides { get; }
        public Dependency[] InstallIf { get; }
        public string Name => Entry.Name;

        public override string ToString() => Entry.ToString();
    }

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
        private readonly Queue<string> _queue = new();
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
                _queue.Enqueue(dependency.Name);
        }

        /// <summary>Chooses providers until every required name has one, then adds install_if packages, to a fixpoint.</summary>
        public void Complete()
        {
            var deferred = new List<string>();
            while (!Relearn)
            {
                while (_queue.TryDequeue(out var name) && !Relearn)
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
                if (progress || _queue.Count > 0)
                    continue;
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

        private bool Select(string name, bool report)
        {
            var requirements = _requirements[name];
            var candidates = solver._providers.GetValueOrDefault(name) ?? [];
            Provider? best = null;
            var virtualOnly = false;
            var explicitTags = ExplicitTags(requirements);
            foreach (var candidate in candidates)
            {
                if (!Allowed(name, candidate, requirements))
                    continue;
                if (candidate.Version is null && candidate.Package.Priority == 0 && !_requirements.ContainsKey(candidate.Package.Name))
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
            foreach (var conflict in package.Depends)
                if (conflict.Conflict && _chosen.TryGetValue(conflict.Name, out var present) && present is { } p && p.Package != package && !p.Satisfies(conflict))
                    return false;
            return true;
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
            r = RequirerCount(a.Package).CompareTo(RequirerCount(b.Package));
            if (r != 0)
                return r;
            if (a.Version is not null && b.Version is not null && (r = ApkVersion.Compare(a.Version, b.Version)) != 0)
                return r;
            if (a.Package.Name == b.Package.Name && (r = ApkVersion.Compare(a.Package.Entry.Version, b.Package.Entry.Version)) != 0)
                return r;
            r = a.Package.Priority.CompareTo(b.Package.Priority);
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
                if (_chosen.ContainsKey(package.Name) || package.Broken is not null)
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
                if (!triggered || !Fits(package.Name, candidate) || !package.Provides.All(p => Fits(p.Name, new Provider(package, p.Version))))
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

        /// <summary>A requirement met after its name was taken: learn it and start over when another provider fits,
        /// otherwise report it.</summary>
        private void Unsatisfied(string name, Requirement requirement, Provider chosen)
        {
            var candidates = solver._providers.GetValueOrDefault(name) ?? [];
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
                var ruling = names.SelectMany(n => (_requirements.GetValueOrDefault(n.Name) ?? [])
                        .Where(r => !new Provider(candidate, n.Version).Satisfies(r.Dependency)))
                    .Select(Describe).FirstOrDefault();
                return ruling is not null
                    ? $"{wanted}: provided by {candidate}, which {ruling} rules out"
                    : $"{wanted}: {packages} cannot be installed with the packages already chosen";
            }
            return Only(root, requirements, candidates);
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
                foreach (var triggered in solver._installIfByName.GetValueOrDefault(package.Name) ?? [])
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
