namespace Pkg2d.Resolve;

/// <summary>
/// The world cannot be installed from the available packages, or a world entry is malformed. <see cref="Problems"/>
/// has one line per unsatisfiable entry or dependency, each naming the packages involved.
/// </summary>
public sealed class SolverException : Exception
{
    public SolverException(IReadOnlyList<string> problems)
        : base("unable to select packages:" + string.Concat(problems.Select(p => "\n  " + p)))
    {
        Problems = problems;
    }

    public IReadOnlyList<string> Problems { get; }
}
