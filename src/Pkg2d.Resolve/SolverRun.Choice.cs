namespace Pkg2d.Resolve;

/// <summary>Reconsidering names, queueing them, and choosing their providers (apk's reconsider_name, queue_unresolved,
/// select_package, assign_name).</summary>
internal sealed partial class SolverRun
{
    private void Reconsider(NameState name)
    {
        var reevaluateDeps = name.ReevaluateDeps;
        var reevaluateIif = name.ReevaluateIif;
        name.ReevaluateDeps = name.ReevaluateIif = false;
        PackageState? first = null;
        int options = 0, tagNotOk = 0;
        bool hasIif = false, noIif = true, hasAutoSelectable = false;
        foreach (var provider in name.Name.Providers)
        {
            var package = provider.Package;
            var state = State(package);
            state.DependenciesMerged = false;
            if (reevaluateDeps)
            {
                if (!state.Selectable)
                    continue;
                foreach (var dependency in package.Depends)
                    if (!DependencySatisfiable(package, dependency))
                    {
                        Disqualify(state);
                        break;
                    }
            }
            if (!state.Selectable)
                continue;
            if (reevaluateIif && !state.IifTriggered && !state.IifFailed)
                CheckInstallIf(state);
            if (reevaluateIif && state.IifTriggered)
                foreach (var condition in package.InstallIf)
                    InheritPinning(state, State(condition.Name).Chosen is { } holder ? State(holder) : null);
            hasIif |= state.IifTriggered;
            noIif &= state.IifFailed;
            hasAutoSelectable |= state.IifTriggered;
            if (name.Requirers == 0)
                continue;

            // Merge the options' dependencies and provides: what all of them share is known before choosing.
            state.DependenciesMerged = true;
            first ??= state;
            foreach (var dependency in package.Depends)
                if (!dependency.Conflict)
                    MergeIndex(ref State(dependency.Name).MergeDepends, options);
            var own = State(package.Name);
            if (MergeIndex(ref own.MergeProvides, options))
                own.HasVirtualProvides |= provider.Version is null;
            foreach (var provided in package.Provides)
            {
                var providedName = State(provided.Name);
                if (MergeIndex(ref providedName.MergeProvides, options))
                    providedName.HasVirtualProvides |= provided.Spec.Version is null;
            }
            tagNotOk += state.TagOk ? 0 : 1;
            options++;
            hasAutoSelectable |= AutoSelectable(provider);
        }
        name.HasOptions = options > 1 || tagNotOk > 0;
        name.HasIif = hasIif;
        name.NoIif = noIif;
        var reevaluate = false;
        if (!_v3)
            QueueUnresolved(name, reevaluate: false);
        else if (hasAutoSelectable != name.HasAutoSelectable)
        {
            name.HasAutoSelectable = hasAutoSelectable;
            reevaluate = true;
        }
        if (first is not null)
            PropagateCommon(name, first, options);
        name.ReverseDepsDone = name.ReverseDepends.All(d => d.Locked);
        if (_v3)
            QueueUnresolved(name, reevaluate);
    }

    /// <summary>Whether every install_if condition of the package holds: triggered, failed, or (a name not locked yet)
    /// undecided; apk 3 queues a name a `!name` condition waits for.</summary>
    private void CheckInstallIf(PackageState state)
    {
        state.IifTriggered = true;
        foreach (var condition in state.Package.InstallIf)
        {
            var conditionName = State(condition.Name);
            if (!conditionName.Locked)
            {
                if (_v3 && condition.Conflict)
                {
                    conditionName.IifNeeded = true;
                    QueueUnresolved(conditionName, reevaluate: false);
                }
                state.IifTriggered = false;
                return;
            }
            if (!IsProvided(state.Package, condition, conditionName.Chosen, conditionName.ChosenVersion))
            {
                state.IifTriggered = false;
                state.IifFailed = true;
                return;
            }
        }
    }

    /// <summary>
    /// After merging: a single option's dependencies become constraints; with several, a dependency name all of them
    /// share becomes required; a name every option stands for excludes the packages that do not stand for this one.
    /// </summary>
    private void PropagateCommon(NameState name, PackageState first, int options)
    {
        foreach (var provider in name.Name.Providers)
        {
            var state = State(provider.Package);
            state.DependenciesUsed = state.DependenciesMerged;
        }
        var package = first.Package;
        foreach (var dependency in package.Depends)
        {
            var dependencyName = State(dependency.Name);
            if (!MergeComplete(ref dependencyName.MergeDepends, options))
                continue;
            if (options == 1)
                ApplyConstraint(first, dependency);
            else if (dependencyName.Requirers == 0)
            {
                dependencyName.Requirers++;
                NameRequirersChanged(dependencyName);
                foreach (var provider in dependency.Name.Providers)
                    InheritPinning(State(provider.Package), first);
            }
        }
        var own = State(package.Name);
        if (MergeComplete(ref own.MergeProvides, options))
            ExcludeNonProviders(own, name.Name, own.HasVirtualProvides);
        foreach (var provided in package.Provides)
        {
            var providedName = State(provided.Name);
            if (MergeComplete(ref providedName.MergeProvides, options))
                ExcludeNonProviders(providedName, name.Name, providedName.HasVirtualProvides);
        }
        own.HasVirtualProvides = false;
        foreach (var provided in package.Provides)
            State(provided.Name).HasVirtualProvides = false;
    }

    private static bool MergeIndex(ref int index, int options)
    {
        if (index != options)
            return false;
        index = options + 1;
        return true;
    }

    private static bool MergeComplete(ref int index, int options)
    {
        var complete = index == options;
        index = 0;
        return complete;
    }

    /// <summary>Every option of <paramref name="mustProvide"/> stands for <paramref name="name"/>: its providers that do
    /// not stand for <paramref name="mustProvide"/> too cannot be chosen.</summary>
    private void ExcludeNonProviders(NameState name, SolverName mustProvide, bool skipVirtuals)
    {
        if (name.Name == mustProvide)
            return;
        foreach (var provider in name.Name.Providers)
        {
            var state = State(provider.Package);
            if (provider.Package.Name == mustProvide || !state.Selectable || (skipVirtuals && provider.Version is null))
                continue;
            if (provider.Package.Provides.Any(d => d.Name == mustProvide || (skipVirtuals && d.Spec.Version is null)))
                continue;
            Disqualify(state);
        }
    }

    private void QueueUnresolved(NameState name, bool reevaluate)
    {
        if (name.Locked)
            return;
        if (!_v3)
        {
            // apk 2 keeps one list, newest first, and looks through all of it for the next name.
            var want = name.Requirers > 0 || name.HasIif;
            if (want && name.QueueNode is null)
                name.QueueNode = _unresolved.AddFirst(name);
            else if (!want && name.QueueNode is not null)
                Unqueue(name);
            return;
        }
        if (name.QueueNode is not null)
        {
            if (name.ResolveNow)
                return;
            if (ResolveNow(name))
                name.ResolveNow = true;
            else if (!reevaluate)
                return;
            Unqueue(name);
        }
        else
        {
            if (name.Requirers == 0 && !name.HasIif && !name.IifNeeded)
                return;
            name.ResolveNow = ResolveNow(name);
        }
        if (name.ResolveNow)
        {
            name.QueueNode = _resolveNow.AddLast(name);
            return;
        }
        // Newest discovered first.
        var queue = name.HasAutoSelectable ? _selectable : _unresolved;
        for (var node = queue.First; node is not null; node = node.Next)
            if (name.OrderId >= node.Value.OrderId)
            {
                name.QueueNode = queue.AddBefore(node, name);
                return;
            }
        name.QueueNode = queue.AddLast(name);
    }

    private static bool ResolveNow(NameState name) =>
        name.ReverseDepsDone && name.Requirers > 0 && name.HasAutoSelectable && !name.HasOptions;

    private static void Unqueue(NameState name)
    {
        name.QueueNode!.List!.Remove(name.QueueNode);
        name.QueueNode = null;
    }

    /// <summary>apk 2: the first name whose choice is forced (one option, every dependant decided), else the best by
    /// required, then real before virtual names, then the longest dependency chain.</summary>
    private NameState? DequeueV2()
    {
        NameState? best = null;
        for (var node = _unresolved.First; node is not null; node = node.Next)
        {
            var name = node.Value;
            if (name.ReverseDepsDone && name.Requirers > 0 && !name.HasOptions)
                return name;
            if (best is null || CompareDequeue(name, best) < 0)
                best = name;
        }
        return best;
    }

    private int CompareDequeue(NameState a, NameState b)
    {
        // Every queued name is required or has a triggered install_if package: it is taken by world names first.
        int r;
        // `apk add` marks the names it is given: they go first.
        r = a.InWorld.CompareTo(b.InWorld);
        if (r != 0)
            return -r;
        r = VirtualRank(a.Name).CompareTo(VirtualRank(b.Name));
        if (r != 0)
            return r;
        return b.MaxDepChain.CompareTo(a.MaxDepChain);
    }

    /// <summary>apk 2's name priority: 0 when every provider has the name as its own, 2 when none has, else 1.</summary>
    private static int VirtualRank(SolverName name)
    {
        var virtuals = 0;
        foreach (var provider in name.Providers)
            virtuals += provider.Package.Name != name ? 1 : 0;
        return virtuals == 0 ? 0 : virtuals == name.Providers.Length ? 2 : 1;
    }

    /// <summary>apk 3: names to resolve now, then names with an auto-selectable provider, then the rest.</summary>
    private NameState? DequeueV3()
    {
        foreach (var queue in (LinkedList<NameState>[])[_resolveNow, _selectable, _unresolved])
            if (queue.First is { } node)
            {
                queue.RemoveFirst();
                node.Value.QueueNode = null;
                return node.Value;
            }
        return null;
    }

    private void Select(NameState name)
    {
        SolverProvider? chosen = null;
        if (name.Requirers > 0 || name.HasIif)
            foreach (var provider in name.Name.Providers)
            {
                var state = State(provider.Package);
                // A name nobody requires is only installed through a triggered install_if package.
                if (name.Requirers == 0 && (!state.IifTriggered || !state.TagOk || (_v3 && !state.Selectable)))
                    continue;
                if (!AutoSelectable(provider))
                    continue;
                if (chosen is not { } best || CompareProviders(provider, best) > 0)
                    chosen = provider;
            }
        if (chosen is not { Package: var package })
        {
            Assign(name, null, null);
            if (name.Requirers > 0)
                _errors++;
            return;
        }
        var selected = State(package);
        if (!selected.Selectable || !selected.TagOk)
            MarkError(selected);
        Assign(State(package.Name), package, package.Version);
        foreach (var provided in package.Provides)
            Assign(State(provided.Name), package, provided.Spec.Version);
        foreach (var dependency in package.Depends)
            ApplyConstraint(selected, dependency);
    }

    /// <summary>apk's preference between two providers of a name: positive when <paramref name="a"/> is better.</summary>
    private int CompareProviders(SolverProvider a, SolverProvider b)
    {
        PackageState sa = State(a.Package), sb = State(b.Package);
        int r;
        if ((r = sa.Selectable.CompareTo(sb.Selectable)) != 0
            || (r = sa.DependenciesUsed.CompareTo(sb.DependenciesUsed)) != 0
            || (r = sb.Conflicts.CompareTo(sa.Conflicts)) != 0
            || (r = sa.TagOk.CompareTo(sb.TagOk)) != 0
            || (r = sa.TagPreferred.CompareTo(sb.TagPreferred)) != 0)
            return r;
        // An unversioned provide compares equal to any version; apk 3 prefers a versioned one.
        if (a.Version is not null && b.Version is not null && (r = ApkVersion.Compare(a.Version, b.Version)) != 0)
            return r;
        if (_v3 && (r = (a.Version is not null).CompareTo(b.Version is not null)) != 0)
            return r;
        if (a.Package.Name == b.Package.Name && (r = ApkVersion.Compare(a.Package.Version, b.Package.Version)) != 0)
            return r;
        if ((r = a.Package.Priority.CompareTo(b.Package.Priority)) != 0)
            return r;
        return b.Package.Repository.CompareTo(a.Package.Repository);
    }

    private void Assign(NameState name, SolverPackage? package, string? version)
    {
        if (name.Locked)
        {
            // Two packages (or one, twice) stand for the name: fine only when both do without a version.
            if (version is null && name.ChosenVersion is null)
                return;
            MarkError(package is null ? null : State(package));
            MarkError(name.Chosen is { } holder ? State(holder) : null);
            return;
        }
        name.Locked = true;
        name.Chosen = package;
        name.ChosenVersion = version;
        if (name.QueueNode is not null)
            Unqueue(name);
        if (name.DirtyNode is not null)
        {
            _dirty.Remove(name.DirtyNode);
            name.DirtyNode = null;
        }
        if (_v3 && package is not null && name.Requirers == 0 && State(package).IifTriggered)
            foreach (var condition in package.InstallIf)
                if (!State(condition.Name).Locked)
                    ApplyConstraint(State(package), condition);
        foreach (var provider in name.Name.Providers)
            if (provider.Package != package && !(version is null && provider.Version is null))
                Disqualify(State(provider.Package));
        ReevaluateReverseDeps(name);
        if (_v3 && package is not null)
            ReevaluateReverseInstallIf(package);
        else
            ReevaluateReverseInstallIf(name);
    }
}
