using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Index;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Catalog;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Packages;
using Pkg2d.Image.Sbom;
using Pkg2d.Oci;
using Pkg2d.Resolve;

namespace Pkg2d.Image;

/// <summary>Counts of what building images took, for the summary a user sees.</summary>
public sealed class EngineStats
{
    private int _learned;
    private int _known;

    /// <summary>Packages whose facts came from the metadata cache.</summary>
    public int FactsFromCache => _known;

    /// <summary>Packages that were fetched (or taken from the package cache) and scanned.</summary>
    public int FactsLearned => _learned;

    internal void Known() => Interlocked.Increment(ref _known);
    internal void Learned() => Interlocked.Increment(ref _learned);
}

/// <summary>
/// An image resolved against the repositories: everything needed to assemble it again later without reading a
/// repository index (the daemon keeps these across restarts).
/// </summary>
public sealed record ResolvedImage(
    string Name, string Arch, IReadOnlyList<string> World, IReadOnlyList<ApkIndexEntry> Packages,
    IReadOnlyList<string> Repositories, IReadOnlyList<string> IndexSigners)
{
    /// <summary>The apk-tools generation the image is installed as (its repositories', or the one asked for).</summary>
    public ApkToolsGeneration ApkTools { get; init; } = ApkToolsGeneration.V2;

    /// <summary>What the image runs and what is added to its root (not part of resolving: set by whoever asks for the image).</summary>
    public ImageSettings Settings { get; init; } = ImageSettings.None;
}

/// <summary>
/// The pipeline for one arch: resolve a world against the repositories (their indexes are loaded on first need),
/// learn each package's facts, and assemble the image. Package bytes are read only when a layer is opened, or to
/// learn facts never seen before.
/// </summary>
public sealed class ImageEngine : IDisposable
{
    private readonly RepositoryOptions _options;
    private readonly Action<string>? _warn;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private volatile ApkSource? _source;

    /// <param name="keepPackages">Keep package files after their layers were read (see <see cref="PackageStore"/>).</param>
    public ImageEngine(RepositoryOptions options, Action<string>? warn = null, bool keepPackages = true)
    {
        Arch = AlpineArch.Validate(options.Arch ?? AlpineArch.Host());
        _options = options with { Arch = Arch };
        _warn = warn;
        Store = new PackageStore(_options, _options.LoadTrustedKeys(warn), Locations, warn, keepPackages);
    }

    public string Arch { get; }

    public PackageStore Store { get; }

    public EngineStats Stats => Store.Stats;

    /// <summary>The repositories with their verified indexes, loaded once, when first needed.</summary>
    public async Task<ApkSource> SourceAsync(CancellationToken cancellationToken = default)
    {
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_source is { } source)
                return source;
            var loaded = await ApkSource.OpenAsync(_options, _warn, cancellationToken);
            // A refresh may have put its own in place meanwhile (Use): that one stays, the later load goes.
            if (Interlocked.CompareExchange(ref _source, loaded, null) is { } used)
            {
                loaded.Dispose();
                return used;
            }
            return loaded;
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>The repositories as the last load left them (<see cref="SourceAsync"/>, <see cref="Use"/>), or null before any.</summary>
    public ApkSource? CurrentSource => _source;

    /// <summary>The apk-tools generation asked for (`--apk-tools`); null means each source's own.</summary>
    public ApkToolsGeneration? RequestedApkTools => _options.ApkTools;

    /// <summary>Loads and verifies the repositories' indexes afresh (asking the servers whether they changed), without using them yet.</summary>
    public Task<ApkSource> LoadSourceAsync(Action<string>? warn, CancellationToken cancellationToken = default) =>
        ApkSource.OpenAsync(_options, warn, cancellationToken);

    /// <summary>Makes <paramref name="source"/> the repositories every later resolution and download uses; the previous one is disposed.</summary>
    public void Use(ApkSource source)
    {
        var previous = Interlocked.Exchange(ref _source, source);
        if (previous is not null && previous != source)
            previous.Dispose();
    }

    /// <summary>Every index location of the configured repositories, each mirror's, for this arch.</summary>
    public IReadOnlyList<string> IndexLocations() =>
        [.. _options.ResolveRepositories().SelectMany(spec => spec.Mirrors.Select(mirror => spec.IndexLocation(mirror, Arch)))];

    public async Task<ResolvedImage> ResolveAsync(string name, IReadOnlyList<string> world, CancellationToken cancellationToken = default) =>
        Resolve(name, world, await SourceAsync(cancellationToken));

    /// <summary>Resolves a world against the given repositories, which need not be the current ones.</summary>
    public ResolvedImage Resolve(string name, IReadOnlyList<string> world, ApkSource source)
    {
        var repositories = source.Repositories.Repositories;
        // Copied out of the index: an entry read from a snapshot holds the whole snapshot, which a kept image must not.
        return new ResolvedImage(
            name, Arch, world, [.. source.Resolve(world).Packages.Select(p => new ApkIndexEntry(p.Fields.ToArray(), p.Repository))],
            [.. repositories
                .Where(r => r.Spec.Kind == RepositoryKind.Base && Location.IsHttp(r.Spec.Mirrors[0]))
                .Select(r => (r.Tag is null ? "" : "@" + r.Tag + " ") + r.Spec.Mirrors[0])],
            [.. repositories.Select(r => r.Index.SignedBy).OfType<string>().Distinct()])
        {
            ApkTools = source.Generation,
        };
    }

    /// <summary>
    /// As <see cref="ResolveAsync(string, IReadOnlyList{string}, CancellationToken)"/>, but a resolution kept in
    /// <paramref name="resolutions"/> is reused when it was made from the same indexes (bytes and signers), trusted
    /// keys, arch and world; the indexes are still loaded (and verified, or taken from their snapshots) to know that.
    /// </summary>
    public async Task<ResolvedImage> ResolveAsync(string name, IReadOnlyList<string> world, ImageCatalog resolutions, CancellationToken cancellationToken = default)
    {
        var inputs = ResolutionInputs(await SourceAsync(cancellationToken), world);
        if (resolutions.TryGet(name, Arch, world, inputs) is { } kept)
            return kept;
        var resolved = await ResolveAsync(name, world, cancellationToken);
        resolutions.Put(resolved, inputs);
        return resolved;
    }

    /// <summary>A key of everything a resolution reads: a change to any of these resolves afresh.</summary>
    private string ResolutionInputs(ApkSource source, IReadOnlyList<string> world)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string? value)
        {
            // Length-prefixed (null apart from empty), so different inputs never encode alike.
            hash.AppendData(BitConverter.GetBytes(value is null ? -1 : value.Length));
            hash.AppendData(Encoding.UTF8.GetBytes(value ?? ""));
        }
        Add(Arch);
        Add(source.Generation.ToString());
        hash.AppendData(source.Keys.Fingerprint());
        // Counted, so where the repositories end and the world begins is never ambiguous.
        hash.AppendData(BitConverter.GetBytes(source.Repositories.Repositories.Count));
        foreach (var repository in source.Repositories.Repositories)
        {
            Add(repository.Tag);
            Add(string.Join('\n', repository.Spec.Mirrors));
            Add(repository.IndexLocation);
            Add(repository.Index.Repository);
            Add(repository.IndexSha256);
            Add(repository.Index.SignedBy);
        }
        hash.AppendData(BitConverter.GetBytes(world.Count));
        foreach (var item in world)
            Add(item);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Assembles a resolved image: its packages' facts are learned as needed, no index is read.</summary>
    public async Task<OciImage> AssembleAsync(ResolvedImage image, ImageOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageOptions();
        var facts = await Store.LearnAsync(image.Packages, cancellationToken);
        var content = new ImageContent
        {
            Name = image.Name,
            Arch = image.Arch,
            World = image.World,
            Packages = facts,
            Repositories = image.Repositories,
            Keys = SigningKeys(image.IndexSigners.Concat(facts.Select(p => p.SignedBy).OfType<string>())),
            Created = options.Created,
            ApkTools = image.ApkTools,
            Settings = image.Settings,
        };
        var assembled = ImageAssembler.Assemble(content, Store, options.MaxLayers, _warn);
        return options.Sbom ? ImageSbom.Attach(assembled, image.Name, image.Arch, image.Packages, facts) : assembled;
    }

    /// <summary>A package's download locations: every mirror of its repository once the indexes are loaded, else its index's folder.</summary>
    private IReadOnlyList<string> Locations(ApkIndexEntry entry) =>
        _source?.Repositories.PackageLocations(entry) ?? [Location.Combine(entry.Repository, entry.FileName)];

    /// <summary>The public keys with these names from the trusted key folders, for etc/apk/keys.</summary>
    private List<KeyValuePair<string, byte[]>> SigningKeys(IEnumerable<string> names)
    {
        var dirs = _options.ResolveKeysDirs();
        var keys = new List<KeyValuePair<string, byte[]>>();
        foreach (var name in names.Distinct().Order(StringComparer.Ordinal))
        {
            if (dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) is { } path)
                keys.Add(new(name, File.ReadAllBytes(path)));
        }
        return keys;
    }

    public void Dispose()
    {
        _source?.Dispose();
        Store.Dispose();
        _opening.Dispose();
    }
}

/// <summary>How images are assembled.</summary>
public sealed record ImageOptions
{
    /// <summary>The most layers an image may have, its top layer included.</summary>
    public int MaxLayers { get; init; } = ImageAssembler.DefaultMaxLayers;

    /// <summary>The images' creation time (SOURCE_DATE_EPOCH); null: the newest package build date.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>Attach each image's SPDX document as a referrer (see <see cref="ImageSbom"/>).</summary>
    public bool Sbom { get; init; } = true;
}
