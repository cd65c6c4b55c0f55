using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Pkg2d.Oci;

/// <summary>One named entry of a layout's index.json.</summary>
public sealed record LayoutEntry(string Name, IOciArtifact Artifact);

/// <summary>
/// An OCI image layout as content, independent of where it is stored: named images (index.json entries carrying
/// <c>org.opencontainers.image.ref.name</c>) and the set of their blobs, deduplicated by digest. It gives the exact
/// bytes of <c>oci-layout</c>, <c>index.json</c> and every <c>blobs/sha256/&lt;hex&gt;</c>, for writers and for a
/// filesystem that serves them directly. A served layout may also retain images it no longer names: their blobs stay
/// readable by digest (a pull in progress, a pinned digest), but index.json does not list them.
/// </summary>
public sealed partial class Layout
{
    private static readonly byte[] LayoutFile = """{"imageLayoutVersion":"1.0.0"}"""u8.ToArray();

    private readonly Dictionary<Digest, IBlob> _blobs = [];
    private readonly byte[] _indexJson;
    private readonly Dictionary<Digest, IReadOnlyList<OciReferrer>> _referrers;

    /// <summary>Entries are written to index.json sorted by name, so the order they are given in does not matter.</summary>
    public Layout(IEnumerable<LayoutEntry> entries) : this(entries, [])
    {
    }

    /// <param name="retained">
    /// Images that were replaced or forgotten but whose blobs are still served by digest; their names (which need not
    /// be reference names) say what they were, for a registry to find them under their repository.
    /// </param>
    /// <param name="listReferrers">
    /// List the artifacts that refer to the images (their SBOMs) in index.json; without, their blobs are still
    /// served. A one-image layout read without a reference (`oci:DIR`) must list nothing else: containers/image
    /// refuses an index.json with more than one manifest then.
    /// </param>
    public Layout(IEnumerable<LayoutEntry> entries, IEnumerable<LayoutEntry> retained, bool listReferrers = true)
    {
        Entries = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToArray();
        foreach (var entry in Entries)
        {
            if (!IsValidRefName(entry.Name))
                throw new ArgumentException($"'{entry.Name}' is not a valid OCI reference name", nameof(entries));
        }
        if (Entries.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
            throw new ArgumentException($"two images are named '{duplicate.Key}'", nameof(entries));

        Retained = retained.ToArray();
        foreach (var blob in Entries.Concat(Retained).SelectMany(e => e.Artifact.BlobsWithReferrers()))
        {
            var descriptor = blob.Descriptor;
            if (!_blobs.TryAdd(descriptor.Digest, blob) && _blobs[descriptor.Digest].Descriptor.Size != descriptor.Size)
                throw new ArgumentException(
                    $"blob {descriptor.Digest} is declared with sizes {_blobs[descriptor.Digest].Descriptor.Size} and {descriptor.Size}",
                    nameof(entries));
        }
        Blobs = _blobs.Values.OrderBy(b => b.Descriptor.Digest.Hex, StringComparer.Ordinal).ToArray();

        Index = new ImageIndex(Entries.Select(e => e.Artifact.Descriptor with
        {
            Annotations = new Dictionary<string, string>(e.Artifact.Descriptor.Annotations ?? new Dictionary<string, string>())
            {
                [AnnotationKeys.RefName] = e.Name,
            },
        }).Concat(Entries.Where(_ => listReferrers).SelectMany(e => e.Artifact.Referrers().Select(r => r.Descriptor with
        {
            // Not a reference name: tools that look images up by name do not take it for one.
            Annotations = new Dictionary<string, string>(r.Descriptor.Annotations ?? new Dictionary<string, string>())
            {
                [DescribesAnnotation] = e.Name,
            },
        }))).ToArray());
        _indexJson = Index.ToJson();
        _referrers = Entries.Concat(Retained).SelectMany(e => e.Artifact.Referrers())
            .GroupBy(r => r.Subject.Digest)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<OciReferrer>)[.. g.DistinctBy(r => r.Descriptor.Digest)]);
    }

    /// <summary>On an index.json entry of an artifact that refers to an image: the name of that image.</summary>
    public const string DescribesAnnotation = "dev.pkg2d.describes";

    /// <summary>The artifacts (an SBOM) whose subject is the manifest <paramref name="subject"/>, retained images' too.</summary>
    public IReadOnlyList<OciReferrer> ReferrersOf(Digest subject) => _referrers.GetValueOrDefault(subject) ?? [];

    public Layout(params LayoutEntry[] entries) : this((IEnumerable<LayoutEntry>)entries)
    {
    }

    public IReadOnlyList<LayoutEntry> Entries { get; }

    /// <summary>Images not in index.json whose blobs are still in <see cref="Blobs"/>.</summary>
    public IReadOnlyList<LayoutEntry> Retained { get; }

    /// <summary>The index.json model; its manifests carry the ref name annotations.</summary>
    public ImageIndex Index { get; }

    /// <summary>Every distinct blob, the retained images' too, sorted by digest.</summary>
    public IReadOnlyList<IBlob> Blobs { get; }

    /// <summary>The bytes of the <c>oci-layout</c> file.</summary>
    public static ReadOnlyMemory<byte> OciLayoutJson => LayoutFile;

    /// <summary>The bytes of <c>index.json</c>.</summary>
    public ReadOnlyMemory<byte> IndexJson => _indexJson;

    public bool TryGetBlob(Digest digest, [NotNullWhen(true)] out IBlob? blob) => _blobs.TryGetValue(digest, out blob);

    public IBlob GetBlob(Digest digest) =>
        _blobs.TryGetValue(digest, out var blob) ? blob : throw new KeyNotFoundException($"the layout has no blob {digest}");

    /// <summary>Whether a name fits the image-spec's grammar for `org.opencontainers.image.ref.name`.</summary>
    public static bool IsValidRefName(string name) => RefName().IsMatch(name);

    /// <summary>The path of a blob inside a layout: <c>blobs/sha256/&lt;hex&gt;</c>.</summary>
    public static string BlobPath(Digest digest) => $"blobs/{Digest.Algorithm}/{digest.Hex}";

    // The image-spec's grammar for org.opencontainers.image.ref.name.
    [GeneratedRegex(@"^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$")]
    private static partial Regex RefName();
}
