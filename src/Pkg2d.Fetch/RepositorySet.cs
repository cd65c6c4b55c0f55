using Pkg2d.Apk.Index;

namespace Pkg2d.Fetch;

/// <summary>One repository with its loaded index.</summary>
public sealed class LoadedRepository(
    RepositorySpec spec, ApkIndex index, string indexSha256, string indexLocation, IReadOnlyList<string> packageFolders)
{
    public RepositorySpec Spec { get; } = spec;

    public string? Tag => Spec.Tag;

    public ApkIndex Index { get; } = index;

    /// <summary>Hex SHA-256 of the index file's bytes: what a result derived from the index can be keyed by.</summary>
    public string IndexSha256 { get; } = indexSha256;

    /// <summary>The index location that was read (a URL, or a path for local repositories).</summary>
    public string IndexLocation { get; } = indexLocation;

    /// <summary>Package folders of every mirror; the one whose index was read first (it is the entries' Repository).</summary>
    public IReadOnlyList<string> PackageFolders { get; } = packageFolders;
}

/// <summary>The repositories of one arch, in the order they were given (earlier ones are preferred).</summary>
public sealed class RepositorySet
{
    private readonly Dictionary<string, LoadedRepository> _byFolder = new(StringComparer.Ordinal);

    public RepositorySet(string arch, IReadOnlyList<LoadedRepository> repositories)
    {
        Arch = arch;
        Repositories = repositories;
        foreach (var repository in repositories)
            _byFolder.TryAdd(repository.PackageFolders[0], repository);
    }

    public string Arch { get; }

    public IReadOnlyList<LoadedRepository> Repositories { get; }

    /// <summary>Every index entry, repository by repository.</summary>
    public IEnumerable<ApkIndexEntry> Packages => Repositories.SelectMany(r => r.Index.Entries);

    /// <summary>The `@tag` of the repository an entry came from, or null (what the solver pins tagged names with).</summary>
    public string? TagOf(ApkIndexEntry entry) => _byFolder.GetValueOrDefault(entry.Repository)?.Tag;

    /// <summary>Where an entry's file can be fetched, mirror by mirror, the one whose index named it first.</summary>
    public IReadOnlyList<string> PackageLocations(ApkIndexEntry entry) =>
        _byFolder.TryGetValue(entry.Repository, out var repository)
            ? repository.PackageFolders.Select(folder => Location.Combine(folder, entry.FileName)).ToArray()
            : [Location.Combine(entry.Repository, entry.FileName)];
}
