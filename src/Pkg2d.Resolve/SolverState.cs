namespace Pkg2d.Resolve;

/// <summary>What one resolution knows of a name (apk's `name->ss`).</summary>
internal sealed class NameState(SolverName name)
{
    public SolverName Name { get; } = name;
    public bool Seen;
    /// <summary>A world entry names it (`apk add` sets solver flags on the names it is given).</summary>
    public bool InWorld;
    /// <summary>A provider (or none) is chosen for the name: <see cref="Chosen"/>, <see cref="ChosenVersion"/>.</summary>
    public bool Locked;
    public SolverPackage? Chosen;
    public string? ChosenVersion;
    /// <summary>How many dependencies on the name were applied (conflicts not counted).</summary>
    public int Requirers;
    public bool ReevaluateDeps, ReevaluateIif;
    public bool HasOptions, HasIif, NoIif, ReverseDepsDone, HasVirtualProvides;
    /// <summary>apk 3: a provider may be chosen without being asked for by name; the name is in the resolve-now queue;
    /// an install_if condition `!name` waits for it.</summary>
    public bool HasAutoSelectable, ResolveNow, IifNeeded;
    /// <summary>apk 2: the longest dependency chain below the name; apk 3: its discovery order.</summary>
    public int MaxDepChain;
    public uint OrderId;
    public int MergeDepends, MergeProvides;
    /// <summary>Seen names whose providers depend on this name, in apk's name-table walk order.</summary>
    public List<NameState> ReverseDepends = [];
    public LinkedListNode<NameState>? DirtyNode, QueueNode;
    /// <summary>Changeset generation has visited the name.</summary>
    public bool InChangeset;
    /// <summary>Error report: apk's `state_int` flags of the name.</summary>
    public int ReportState;

    public override string ToString() => Name.Text;
}

/// <summary>What one resolution knows of a package (apk's `pkg->ss`).</summary>
internal sealed class PackageState(SolverPackage package)
{
    public SolverPackage Package { get; } = package;
    public bool Seen, Selectable, IifTriggered, IifFailed, TagOk, TagPreferred, DependenciesMerged, DependenciesUsed, Error;
    public int Conflicts, MaxDepChain;
    public ulong PinningAllowed, PinningPreferred;
    public bool InChangeset;
    /// <summary>Error report: in the changeset, and apk's `state_int` flags.</summary>
    public bool Marked;
    public int ReportState;

    public override string ToString() => Package.ToString();
}
