using Pkg2d.Apk.Index;

namespace Pkg2d.Resolve;

/// <summary>
/// A name as apk's database holds it: every package standing for it (packages of that name and packages providing
/// it), in the order apk met them. Made when a resolution first meets the name (see <see cref="PackageSolver.Lookup"/>).
/// </summary>
internal sealed class SolverName(PackageSolver owner, string text, int id, int sequence, SolverProvider[] providers)
{
    private const uint Buckets = 20000;
    private uint _bucket = uint.MaxValue;
    private SolverName[]? _reverseInstallIf;

    public string Text { get; } = text;

    /// <summary>Indexes a resolution's state of this name.</summary>
    public int Id { get; } = id;

    /// <summary>When the index first mentioned the name (names only a dependency mentions come after all others).</summary>
    public int Sequence { get; } = sequence;

    /// <summary>The packages standing for the name, in index order.</summary>
    public ReadOnlySpan<SolverProvider> Providers => providers;

    /// <summary>Names with a provider whose install_if mentions this name, in apk's name-table walk order.</summary>
    public SolverName[] ReverseInstallIf => _reverseInstallIf ??= owner.ReverseInstallIfOf(Text);

    /// <summary>Where apk's name hash table keeps this name: apk builds its reverse-dependency lists by walking that
    /// table, so their order is the buckets' order.</summary>
    public uint Bucket => _bucket == uint.MaxValue ? _bucket = BucketOf(Text) : _bucket;

    /// <summary>apk's name hash table: murmur3 (seed 5381) of the name, 20000 buckets.</summary>
    public static uint BucketOf(string name) => Murmur3.Hash(name, 5381) % Buckets;

    public override string ToString() => Text;
}

/// <summary>A package standing for a name at a version (null: an unversioned, virtual, provide).</summary>
internal readonly record struct SolverProvider(SolverPackage Package, string? Version);

/// <summary>A dependency (D:, i:, world) on a name of the index.</summary>
internal readonly record struct SolverDependency(SolverName Name, Dependency Spec)
{
    public bool Conflict => Spec.Conflict;

    /// <summary>
    /// apk's `apk_dep_is_provided`: whether a name held by <paramref name="package"/> at <paramref name="version"/> (no
    /// package: nothing holds it) meets this dependency of <paramref name="dependant"/>; for a conflict, whether it
    /// is allowed. apk 2 meets a versioned dependency only with a versioned provide; apk 3 takes an unversioned one as
    /// lower than any version, and lets a package conflict with a name it stands for itself.
    /// </summary>
    public bool IsProvidedBy(SolverPackage? package, string? version, SolverPackage? dependant, bool v3)
    {
        if (package is null)
            return Spec.Conflict;
        if (v3 && Spec.Conflict && package == dependant)
            return true;
        if (v3 && version is null && Spec.Op is not (VersionOp.Any or VersionOp.Checksum))
            return Spec.Op.HasFlag(VersionOp.Less) != Spec.Conflict;
        return Spec.IsSatisfiedBy(version, package.Entry.Checksum?.Text);
    }

    public override string ToString() => Spec.ToString();
}

/// <summary>One package of the index, with the tokens the solver reads parsed when a resolution first looks at it.</summary>
internal sealed class SolverPackage(PackageSolver owner, ApkIndexEntry entry, int id, int repository, int tag)
{
    private Parsed? _parsed;
    private SolverName? _name;

    public ApkIndexEntry Entry { get; } = entry;

    /// <summary>Indexes a resolution's state of this package.</summary>
    public int Id { get; } = id;

    public SolverName Name => _name ??= owner.Lookup(Entry.Name);

    public string Version => Entry.Version;

    public int Priority => Entry.ProviderPriority ?? 0;

    /// <summary>Position of its repository among the solver's repositories: apk prefers the lowest.</summary>
    public int Repository { get; } = repository;

    /// <summary>Its repository's tag, as an index: 0 for an untagged repository.</summary>
    public int Tag { get; } = tag;

    /// <summary>The names install_if conditions mention, read when the index is built (they make the reverse
    /// install_if lists): set by the solver's construction, after the names the package provides.</summary>
    public string[] InstallIfNames { get; set; } = [];

    public bool HasInstallIf => InstallIfNames.Length > 0;

    public SolverDependency[] InstallIf => HasInstallIf ? Tokens.InstallIf : [];

    /// <summary>Why the package cannot be installed (its first malformed token), or null.</summary>
    public string? Broken => Tokens.Broken;

    public SolverDependency[] Depends => Tokens.Depends;

    public SolverDependency[] Provides => Tokens.Provides;

    private Parsed Tokens
    {
        get
        {
            // Several resolutions may parse the package at once: all then use the first result published.
            if (Volatile.Read(ref _parsed) is { } parsed)
                return parsed;
            parsed = owner.ParseTokens(this);
            return Interlocked.CompareExchange(ref _parsed, parsed, null) ?? parsed;
        }
    }

    public override string ToString() => Entry.ToString();

    /// <summary>A package's parsed tokens, or why it is broken (then none).</summary>
    internal sealed record Parsed(SolverDependency[] Depends, SolverDependency[] Provides, SolverDependency[] InstallIf, string? Broken);
}
