namespace Pkg2d.Resolve;

/// <summary>
/// One resolution, made as apk-tools' deductive solver makes it (apk's solver.c, the same for both generations
/// except where noted). Every name reachable from the world is discovered; world dependencies are applied as
/// constraints, which disqualify the providers they rule out. Then, until every required name is locked: each dirty
/// name is reconsidered (a provider whose dependency can no longer be met is disqualified, install_if conditions are
/// checked, a name with one option left passes its dependencies down, and dependencies common to all options are
/// required too), and the next name is taken from the queue and given its best provider (the first allowed one wins
/// ties: selectable, in the last merge, fewer conflicts, allowed then preferred pinning, higher version of the asked
/// name, then of the package, higher provider priority, earlier repository). There is no backtracking: a choice that
/// later proves wrong is an error, as in apk. The changeset walk (<see cref="GenerateChangeset"/>) then gives the
/// install order and marks the packages whose dependencies are not met.
/// The generations differ (each difference seen with the real apk 2.14.4 and 3.0.6): apk 2.14 keeps one queue, taking
/// a name with one option and every dependant decided at once, else world names first, then real before virtual
/// names, then the longest dependency chain (<see cref="DequeueV2"/>); apk 3.0 keeps three queues in discovery order,
/// world names first (<see cref="DequeueV3"/>). apk 3.0 also discovers provided names (2.14 only the install_if
/// packages they may trigger), takes an unversioned provide as lower than any version (2.14: it meets no versioned
/// dependency), lets a package conflict with a name it stands for itself, lets an install_if condition `!name` wait
/// for that name, and applies an install_if package's conditions as its constraints.
/// </summary>
internal sealed partial class SolverRun
{
    /// <summary>apk's pinning bit of untagged repositories.</summary>
    private const ulong DefaultPinning = 1;

    private readonly PackageSolver _solver;
    private readonly bool _v3;
    private readonly SolverDependency[] _world;
    private readonly PackageState?[] _packages;
    private readonly LinkedList<NameState> _dirty = new();
    private readonly LinkedList<NameState> _unresolved = new();
    private readonly LinkedList<NameState> _selectable = new();
    private readonly LinkedList<NameState> _resolveNow = new();
    private readonly List<NameState> _seen = [];
    private NameState?[] _names;
    private ulong _pinningInherit;
    private uint _orderId;
    private int _errors;

    public SolverRun(PackageSolver solver, SolverDependency[] world)
    {
        _solver = solver;
        _v3 = solver.Generation == ApkToolsGeneration.V3;
        _world = world;
        _names = new NameState?[solver.NameCount + 16];
        _packages = new PackageState?[solver.Packages.Length];
    }

    public Solution Solve()
    {
        foreach (var dependency in _world)
            State(dependency.Name).InWorld = true;
        foreach (var dependency in _world)
            Discover(State(dependency.Name));
        LinkReverseDepends();
        foreach (var dependency in _world)
        {
            _pinningInherit = dependency.Spec.Tag is { } tag ? PinningOf(tag) : DefaultPinning;
            ApplyConstraint(null, dependency);
        }
        _pinningInherit = 0;
        while (true)
        {
            while (_dirty.First is { } dirty)
            {
                _dirty.RemoveFirst();
                dirty.Value.DirtyNode = null;
                Reconsider(dirty.Value);
            }
            if ((_v3 ? DequeueV3() : DequeueV2()) is not { } name)
                break;
            Select(name);
        }
        var changeset = GenerateChangeset();
        if (_errors > 0)
            throw new SolverException(Report(changeset));
        return new Solution([.. changeset.Select(p => p.Entry)]);
    }

    private ulong PinningOf(string tag) => _solver.TagIndex(tag) is var index and >= 0 ? 1UL << index : 0;

    private NameState State(SolverName name)
    {
        if (name.Id >= _names.Length)
            Array.Resize(ref _names, Math.Max(name.Id + 1, _names.Length * 2));
        return _names[name.Id] ??= new(name);
    }

    private PackageState State(SolverPackage package) => _packages[package.Id] ??= new(package);

    private static bool InPinning(SolverPackage package, ulong pinning) => package.Tag < 64 && ((pinning >> package.Tag) & 1) != 0;

    /// <summary>apk's `apk_dep_is_provided` for a dependency of <paramref name="dependant"/>.</summary>
    private bool IsProvided(SolverPackage? dependant, SolverDependency dependency, SolverPackage? package, string? version) =>
        dependency.IsProvidedBy(package, version, dependant, _v3);

    private void Discover(NameState name)
    {
        if (name.Seen)
            return;
        name.Seen = true;
        name.NoIif = true;
        _seen.Add(name);
        var providers = name.Name.Providers;
        var virtuals = 0;
        foreach (var provider in providers)
        {
            var package = State(provider.Package);
            if (!package.Seen)
            {
                package.Seen = true;
                package.PinningAllowed = package.PinningPreferred = DefaultPinning;
                package.Selectable = provider.Package.Broken is null;
                package.IifFailed = !provider.Package.HasInstallIf;
                package.TagPreferred = package.TagOk = provider.Package.Tag == 0;
                foreach (var dependency in provider.Package.Depends)
                {
                    var dependencyName = State(dependency.Name);
                    Discover(dependencyName);
                    package.MaxDepChain = Math.Max(package.MaxDepChain, dependencyName.MaxDepChain + 1);
                }
            }
            name.NoIif &= package.IifFailed;
            name.MaxDepChain = Math.Max(name.MaxDepChain, package.MaxDepChain);
            virtuals += provider.Package.Name != name.Name ? 1 : 0;
        }
        foreach (var reverse in name.Name.ReverseInstallIf)
            Discover(State(reverse));
        foreach (var provider in providers)
        {
            foreach (var reverse in provider.Package.Name.ReverseInstallIf)
                Discover(State(reverse));
            // apk 3 discovers the names a package provides; apk 2 only the install_if packages they may trigger.
            foreach (var provided in provider.Package.Provides)
                if (_v3)
                    Discover(State(provided.Name));
                else
                    foreach (var reverse in provided.Name.ReverseInstallIf)
                        Discover(State(reverse));
        }
        if (!_v3)
            return;
        // Queued names are taken by this, highest first: world names, then names that some package has as its own, then
        // the latest discovered.
        name.OrderId = (name.InWorld ? 1u << 31 : 0) | (providers.Length != virtuals ? 1u << 30 : 0) | ++_orderId;
        foreach (var provider in providers)
            foreach (var condition in provider.Package.InstallIf)
                Discover(State(condition.Name));
    }

    /// <summary>apk links each name to the names depending on it by walking its name table: the same order here.</summary>
    private void LinkReverseDepends()
    {
        foreach (var name in PackageSolver.InWalkOrder(_seen.ConvertAll(s => s.Name), n => n.Bucket, n => n.Sequence))
        {
            var state = State(name);
            foreach (var provider in name.Providers)
                foreach (var dependency in provider.Package.Depends)
                {
                    var target = State(dependency.Name);
                    if (target.ReverseDepends.Count == 0 || target.ReverseDepends[^1] != state)
                        target.ReverseDepends.Add(state);
                }
        }
    }

    private void ApplyConstraint(PackageState? requirer, SolverDependency dependency)
    {
        var name = State(dependency.Name);
        if (!dependency.Conflict && ++name.Requirers == 1)
            NameRequirersChanged(name);
        foreach (var provider in dependency.Name.Providers)
        {
            var package = State(provider.Package);
            var provided = IsProvided(requirer?.Package, dependency, provider.Package, provider.Version);
            if (!provided)
                package.Conflicts++;
            if (package.Selectable && package.Conflicts > 0)
                Disqualify(package);
            if (provided)
                InheritPinning(package, requirer);
        }
    }

    private void InheritPinning(PackageState package, PackageState? requirer)
    {
        if (requirer is not null)
            package.PinningAllowed |= requirer.PinningAllowed;
        else
        {
            // A world dependency (or, as in apk, an install_if condition met by no package): its tag is preferred.
            package.PinningAllowed |= _pinningInherit;
            package.PinningPreferred = _pinningInherit;
            package.TagPreferred = InPinning(package.Package, package.PinningPreferred);
        }
        package.TagOk |= InPinning(package.Package, package.PinningAllowed);
    }

    private void NameRequirersChanged(NameState name)
    {
        QueueUnresolved(name, reevaluate: false);
        ReevaluateReverseInstallIf(name);
        QueueDirty(name);
    }

    private void QueueDirty(NameState name)
    {
        if (name.DirtyNode is not null || name.Locked || (name.Requirers == 0 && !name.ReevaluateIif))
            return;
        name.DirtyNode = _dirty.AddLast(name);
    }

    private void ReevaluateReverseDeps(NameState name)
    {
        foreach (var dependant in name.ReverseDepends)
        {
            dependant.ReevaluateDeps = true;
            QueueDirty(dependant);
        }
    }

    private void ReevaluateReverseInstallIf(NameState name)
    {
        foreach (var reverse in name.Name.ReverseInstallIf)
        {
            var state = State(reverse);
            if (!state.Seen || state.NoIif)
                continue;
            state.ReevaluateIif = true;
            QueueDirty(state);
        }
    }

    /// <summary>apk 3 re-checks the install_if of every name a package stands for; apk 2 only of its own name.</summary>
    private void ReevaluateReverseInstallIf(SolverPackage package)
    {
        ReevaluateReverseInstallIf(State(package.Name));
        foreach (var provided in package.Provides)
            ReevaluateReverseInstallIf(State(provided.Name));
    }

    private void Disqualify(PackageState package)
    {
        package.Selectable = false;
        ReevaluateReverseDeps(State(package.Package.Name));
        foreach (var provided in package.Package.Provides)
            ReevaluateReverseDeps(State(provided.Name));
        ReevaluateReverseInstallIf(package.Package);
    }

    private bool DependencySatisfiable(SolverPackage dependant, SolverDependency dependency)
    {
        var name = State(dependency.Name);
        if (name.Locked)
            return IsProvided(dependant, dependency, name.Chosen, name.ChosenVersion);
        if (name.Requirers == 0 && IsProvided(dependant, dependency, null, null))
            return true;
        foreach (var provider in dependency.Name.Providers)
            if (State(provider.Package).Selectable && IsProvided(dependant, dependency, provider.Package, provider.Version))
                return true;
        return false;
    }

    /// <summary>An unversioned provide without provider priority is chosen only for a package asked for by name.</summary>
    private bool AutoSelectable(SolverProvider provider) =>
        provider.Version is not null || provider.Package.Priority != 0 || State(provider.Package.Name).Requirers > 0;

    private void MarkError(PackageState? package)
    {
        if (package is null || package.Error)
            return;
        package.Error = true;
        _errors++;
    }
}
