using Pkg2d.Apk.Index;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;

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
/// The pipeline for one arch: resolve a world against the repositories, learn each package's facts (from the
/// metadata cache, else by fetching and verifying it), and assemble the image. Package bytes are read only when a
/// layer is opened, or to learn facts never seen before.
/// </summary>
public sealed class ImageEngine : IDisposable
{
    private readonly PackageFactsCache _facts;
    private readonly PackageLayerSource _layers;
    private readonly RepositoryOptions _options;
    private readonly Action<string>? _warn;

    private ImageEngine(ApkSource source, RepositoryOptions options, Action<string>? warn)
    {
        Source = source;
        _options = options;
        _warn = warn;
        _facts = new PackageFactsCache(Path.Combine(source.Cache.Root, "metadata"));
        _layers = new PackageLayerSource(source, _facts);
    }

    public ApkSource Source { get; }

    public string Arch => Source.Arch;

    public EngineStats Stats { get; } = new();

    public static async Task<ImageEngine> OpenAsync(RepositoryOptions options, Action<string>? warn = null, CancellationToken cancellationToken = default)
    {
        var source = await ApkSource.OpenAsync(options, warn, cancellationToken);
        return new ImageEngine(source, options, warn);
    }

    /// <summary>Resolves <paramref name="world"/> and assembles the image named <paramref name="name"/> from it.</summary>
    public async Task<OciImage> BuildAsync(string name, IReadOnlyList<string> world, ImageOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageOptions();
        var packages = Source.Resolve(world).Packages;
        var facts = await LearnAsync(packages, cancellationToken);
        var content = new ImageContent
        {
            Name = name,
            Arch = Arch,
            World = world,
            Packages = facts,
            Repositories = RepositoryLines(),
            Keys = SigningKeys(facts),
            Created = options.Created,
        };
        return ImageAssembler.Assemble(content, _layers, options.MaxLayers);
    }

    /// <summary>Each package's facts, in the given order: from the metadata cache, else fetched, verified and scanned.</summary>
    public async Task<IReadOnlyList<PackageFacts>> LearnAsync(IReadOnlyList<ApkIndexEntry> packages, CancellationToken cancellationToken = default)
    {
        var facts = new PackageFacts?[packages.Count];
        var missing = new List<int>();
        for (var i = 0; i < packages.Count; i++)
        {
            var key = packages[i].Checksum?.Key
                ?? throw new InvalidOperationException($"{packages[i]} from {packages[i].Repository} has no C: checksum");
            facts[i] = _facts.TryGet(key);
            if (facts[i] is null)
                missing.Add(i);
            else
                Stats.Known();
        }
        if (missing.Count > 0)
        {
            var fetched = await Source.FetchAsync(missing.Select(i => packages[i]).ToArray(), cancellationToken);
            await Parallel.ForEachAsync(Enumerable.Range(0, missing.Count), cancellationToken, (m, _) =>
            {
                var learned = PackageScanner.Scan(fetched[m].Path, packages[missing[m]], Source.Keys, _options.AllowUntrusted, _warn);
                _facts.Put(learned);
                facts[missing[m]] = learned;
                Stats.Learned();
                return ValueTask.CompletedTask;
            });
        }
        for (var i = 0; i < packages.Count; i++)
            _layers.Register(packages[i], facts[i]!);
        return facts!;
    }

    /// <summary>etc/apk/repositories for the image: the http(s) repositories used, as apk would list them.</summary>
    private List<string> RepositoryLines() =>
    [
        .. Source.Repositories.Repositories
            .Where(r => r.Spec.Kind == RepositoryKind.Base && Location.IsHttp(r.Spec.Mirrors[0]))
            .Select(r => (r.Tag is null ? "" : "@" + r.Tag + " ") + r.Spec.Mirrors[0]),
    ];

    /// <summary>The public keys that signed the indexes and packages of the image, for etc/apk/keys.</summary>
    private List<KeyValuePair<string, byte[]>> SigningKeys(IEnumerable<PackageFacts> packages)
    {
        var names = Source.Repositories.Repositories.Select(r => r.Index.SignedBy)
            .Concat(packages.Select(p => p.SignedBy))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var dirs = _options.KeysDirs.Count > 0 ? _options.KeysDirs : RepositoryOptions.DefaultKeysDirs;
        var keys = new List<KeyValuePair<string, byte[]>>();
        foreach (var name in names.Order(StringComparer.Ordinal))
        {
            if (dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists) is { } path)
                keys.Add(new(name, File.ReadAllBytes(path)));
        }
        return keys;
    }

    public void Dispose() => Source.Dispose();
}

/// <summary>How images are assembled.</summary>
public sealed record ImageOptions
{
    /// <summary>The most layers an image may have, its top layer included.</summary>
    public int MaxLayers { get; init; } = ImageAssembler.DefaultMaxLayers;

    /// <summary>The images' creation time (SOURCE_DATE_EPOCH); null: the newest package build date.</summary>
    public DateTimeOffset? Created { get; init; }
}
