namespace Pkg2d.Resolve;

/// <summary>
/// The error report of a failed resolution, as apk prints it (apk_solver_print_errors): each world entry or
/// dependency no package provides (`name (no such package)`, `name (virtual)` with its providers), then each package
/// of the changeset at fault with the packages it conflicts with, the dependencies it breaks, or those it satisfies.
/// </summary>
internal sealed partial class SolverRun
{
    private const int Present = 1, Missing = 2, VirtualOnly = 4, InstallIf = 8;

    private List<string> Report(List<SolverPackage> changeset)
    {
        foreach (var package in changeset)
            State(package).Marked = true;
        ReportDiscover(_world);
        var problems = new List<string>();
        ReportMissing(_world, problems);
        foreach (var package in changeset)
        {
            var lines = new List<string>();
            if (!State(package).TagOk && _solver.TagName(package.Tag) is { } tag)
                lines.Add($"masked in: @{tag}");
            if (Conflicts(package) is { Count: > 0 } conflicts)
                lines.Add("conflicts: " + string.Join(' ', conflicts));
            if (Matching(package, satisfied: false) is { Count: > 0 } breaks)
                lines.Add("breaks: " + string.Join(' ', breaks));
            // What it satisfies only explains a package already at fault.
            if (lines.Count > 0 && Matching(package, satisfied: true) is { Count: > 0 } satisfies)
                lines.Add("satisfies: " + string.Join(' ', satisfies));
            if (lines.Count > 0)
                problems.Add(Block(package.ToString(), lines));
            ReportMissing(package.Depends, problems);
        }
        if (problems.Count == 0)
            problems.AddRange(_packages.OfType<PackageState>().Where(p => p.Error).Select(p => $"{p.Package}: cannot be installed"));
        return problems;
    }

    private static string Block(string label, List<string> lines) => $"{label}:" + string.Concat(lines.Select(l => "\n    " + l));

    private void ReportDiscover(IEnumerable<SolverDependency> dependencies)
    {
        foreach (var dependency in dependencies)
            if (!dependency.Conflict)
                ReportDiscover(dependency.Name, Present);
    }

    /// <summary>Marks the names the changeset holds (present), reached through install_if, or only as a virtual name.</summary>
    private void ReportDiscover(SolverName name, int how)
    {
        foreach (var provider in name.Providers)
        {
            var package = State(provider.Package);
            if (!package.Marked)
                continue;
            var state = how;
            if (how is Present or InstallIf && provider.Package.Priority == 0 && !IsConcrete(provider.Package, name))
                state = VirtualOnly;
            if ((package.ReportState & state) != 0)
                continue;
            package.ReportState |= state;
            State(provider.Package.Name).ReportState |= state;
            foreach (var provided in provider.Package.Provides)
                State(provided.Name).ReportState |= state == InstallIf && provided.Spec.Version is null ? VirtualOnly : state;
            ReportDiscover(provider.Package.Depends);
            if (state is Present or InstallIf)
            {
                ReportDiscoverInstallIf(provider.Package.Name);
                foreach (var provided in provider.Package.Provides)
                    ReportDiscoverInstallIf(provided.Name);
            }
        }
    }

    private void ReportDiscoverInstallIf(SolverName name)
    {
        foreach (var reverse in name.ReverseInstallIf)
            foreach (var provider in reverse.Providers)
            {
                var package = provider.Package;
                if (!State(package).Marked || package.InstallIf.Length == 0)
                    continue;
                if (package.InstallIf.Any(c => c.Conflict == ((State(c.Name).ReportState & (Present | InstallIf)) != 0)))
                    continue;
                ReportDiscover(package.Name, InstallIf);
                foreach (var provided in package.Provides)
                    ReportDiscover(provided.Name, InstallIf);
            }
    }

    private static bool IsConcrete(SolverPackage package, SolverName name) =>
        package.Name == name || package.Provides.Any(p => p.Name == name && p.Spec.Version is not null);

    /// <summary>Dependencies on names the changeset does not hold: no package provides them, or only virtually.</summary>
    private void ReportMissing(IEnumerable<SolverDependency> dependencies, List<string> problems)
    {
        foreach (var dependency in dependencies)
        {
            var name = State(dependency.Name);
            if (dependency.Conflict || (name.ReportState & (InstallIf | Present | Missing)) != 0)
                continue;
            name.ReportState |= Missing;
            var lines = new List<string>();
            string label;
            if (dependency.Name.Providers.Length > 0)
            {
                label = $"{name} (virtual)";
                lines.Add("note: please select one of the 'provided by' packages explicitly");
                lines.Add("provided by: " + string.Join(' ', ProvidedBy(dependency.Name)));
            }
            else
                label = $"{name} (no such package)";
            var requiredBy = _world.Where(d => d.Name == dependency.Name && !d.Conflict).Select(d => $"world[{d}]").ToList();
            foreach (var dependant in name.ReverseDepends)
                foreach (var provider in dependant.Name.Providers)
                    if (State(provider.Package).Marked
                        && provider.Package.Depends.FirstOrDefault(d => d.Name == dependency.Name && !d.Conflict) is { Name: not null } d)
                    {
                        requiredBy.Add($"{provider.Package}[{d}]");
                        break;
                    }
            lines.Add("required by: " + string.Join(' ', requiredBy.Distinct()));
            problems.Add(Block(label, lines));
        }
    }

    /// <summary>A name's providers: a package name where all its packages provide it, else each package.</summary>
    private static List<string> ProvidedBy(SolverName name)
    {
        var counts = new Dictionary<SolverName, int>();
        foreach (var provider in name.Providers)
            counts[provider.Package.Name] = counts.GetValueOrDefault(provider.Package.Name) + 1;
        var listed = new HashSet<SolverName>();
        var result = new List<string>();
        foreach (var provider in name.Providers)
            if (counts[provider.Package.Name] == provider.Package.Name.Providers.Length)
            {
                if (listed.Add(provider.Package.Name))
                    result.Add(provider.Package.Name.Text);
            }
            else
                result.Add(provider.Package.ToString());
        return result;
    }

    /// <summary>Other packages in the changeset that stand for the same name as <paramref name="package"/>.</summary>
    private List<string> Conflicts(SolverPackage package)
    {
        var conflicts = new List<string>();
        foreach (var provider in package.Name.Providers)
            if (provider.Package != package && State(provider.Package).Marked)
                conflicts.Add(provider.Package.ToString());
        foreach (var provided in package.Provides)
        {
            var once = true;
            foreach (var provider in provided.Name.Providers)
            {
                if (!State(provider.Package).Marked || (provided.Spec.Version is null && provider.Version is null))
                    continue;
                if (once && provider.Package == package && provider.Version == provided.Spec.Version)
                {
                    once = false;
                    continue;
                }
                conflicts.Add($"{provider.Package}[{provided}]");
            }
        }
        return conflicts;
    }

    /// <summary>World entries and dependencies of changeset packages on the names of <paramref name="package"/> that it
    /// meets (<paramref name="satisfied"/>) or breaks.</summary>
    private List<string> Matching(SolverPackage package, bool satisfied)
    {
        var found = new List<string>();
        foreach (var dependency in _world)
            if (Analyze(null, dependency, package) == satisfied)
                found.Add($"world[{dependency}]");
        var visited = new HashSet<SolverPackage>();
        foreach (var name in package.Provides.Select(p => p.Name).Prepend(package.Name))
            foreach (var dependant in State(name).ReverseDepends)
                foreach (var provider in dependant.Name.Providers)
                {
                    if (!State(provider.Package).Marked || !visited.Add(provider.Package))
                        continue;
                    foreach (var dependency in provider.Package.Depends)
                        if (Analyze(provider.Package, dependency, package) == satisfied)
                            found.Add($"{provider.Package}[{dependency}]");
                }
        return found;
    }

    /// <summary>Whether the package meets a dependency on one of its names; null when it is about another name.</summary>
    private bool? Analyze(SolverPackage? dependant, SolverDependency dependency, SolverPackage package)
    {
        if (dependency.Name == package.Name)
            return IsProvided(dependant, dependency, package, package.Version);
        foreach (var provided in package.Provides)
            if (provided.Name == dependency.Name)
                return IsProvided(dependant, dependency, package, provided.Spec.Version);
        return null;
    }
}
