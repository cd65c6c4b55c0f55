namespace Pkg2d.Resolve;

/// <summary>The changeset (apk's cset_gen_*): the install order, and the packages whose dependencies are not met.</summary>
internal sealed partial class SolverRun
{
    /// <summary>
    /// apk's changeset order on an empty root: world entries by name, each package after its dependencies (depth
    /// first, in D: order, conflicts included; a cycle is cut where it closes), and an install_if package right after
    /// the package that completes its conditions, in the order of the reverse install_if lists.
    /// </summary>
    private List<SolverPackage> GenerateChangeset()
    {
        var changeset = new List<SolverPackage>();
        foreach (var dependency in _world)
            ChangeDependency(null, dependency, changeset);
        return changeset;
    }

    private void ChangeDependency(PackageState? dependant, SolverDependency dependency, List<SolverPackage> changeset)
    {
        var name = State(dependency.Name);
        if (!IsProvided(dependant?.Package, dependency, name.Chosen, name.ChosenVersion))
            MarkError(dependant);
        ChangeName(name, changeset);
        if (name.Chosen is { } chosen && State(chosen).Error)
            MarkError(dependant);
    }

    private void ChangeName(NameState name, List<SolverPackage> changeset)
    {
        if (name.InChangeset)
            return;
        name.InChangeset = true;
        if (name.Chosen is not { } package || State(package) is { InChangeset: true })
            return;
        var state = State(package);
        state.InChangeset = true;
        State(package.Name).InChangeset = true;
        foreach (var provided in package.Provides)
            State(provided.Name).InChangeset = true;
        foreach (var dependency in package.Depends)
            ChangeDependency(state, dependency, changeset);
        changeset.Add(package);
        InstallIfAfter(package.Name, changeset);
        foreach (var provided in package.Provides)
            InstallIfAfter(provided.Name, changeset);
    }

    private void InstallIfAfter(SolverName name, List<SolverPackage> changeset)
    {
        foreach (var reverse in name.ReverseInstallIf)
        {
            var state = State(reverse);
            if (state.Chosen is not { } package || !state.Seen || state.InChangeset)
                continue;
            var due = true;
            foreach (var condition in package.InstallIf)
            {
                var conditionName = State(condition.Name);
                // apk 3 does not wait for the name of a `!name` condition to be in the changeset.
                if ((!_v3 || !condition.Conflict) && !conditionName.InChangeset
                    || !IsProvided(package, condition, conditionName.Chosen, conditionName.ChosenVersion))
                {
                    due = false;
                    break;
                }
            }
            if (due)
                ChangeName(state, changeset);
        }
    }
}
