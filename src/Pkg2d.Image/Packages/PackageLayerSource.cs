using Pkg2d.Apk.Index;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Oci;

namespace Pkg2d.Image.Packages;

/// <summary>
/// Layer bytes straight from the verified package cache: a package layer is the byte range of the data member in
/// the cached `.apk`. A package that is not (or no longer) in the cache is fetched, and so verified, again first.
/// </summary>
public sealed class PackageLayerSource(ApkSource source, PackageFactsCache facts) : ILayerSource
{
    private readonly Dictionary<string, ApkIndexEntry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Makes a package's entry known, so its layer can be fetched again when it is read.</summary>
    public void Register(ApkIndexEntry entry, PackageFacts package)
    {
        lock (_lock)
            _entries[package.Key] = entry;
    }

    public Stream OpenPackageData(PackageFacts package)
    {
        ApkIndexEntry? entry;
        lock (_lock)
            entry = _entries.GetValueOrDefault(package.Key);
        if (entry is null)
            throw new InvalidOperationException($"package {package} is not part of any image built here");
        var path = source.Cache.PackagePath(entry);
        if (!File.Exists(path))
            path = source.FetchAsync([entry]).GetAwaiter().GetResult()[0].Path;
        return new RangeStream(File.OpenRead(path), package.DataOffset, package.DataLength);
    }

    public LayerDigests MergedLayerDigests(string key, IReadOnlyList<PackageFacts> members)
    {
        if (facts.TryGetMerged(key) is { } known)
            return known;
        var digests = MergedLayer.ComputeDigests(members, OpenPackageData);
        facts.PutMerged(key, digests);
        return digests;
    }
}
