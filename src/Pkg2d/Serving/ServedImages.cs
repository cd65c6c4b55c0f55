using System.Collections.Concurrent;
using System.Collections.Immutable;
using Pkg2d.Image;
using Pkg2d.Oci;

namespace Pkg2d.Serving;

/// <summary>An image the daemon serves: what it was built from, and the image. A locked image is never refreshed.</summary>
internal sealed record ServedImage(ResolvedImage Resolved, OciImage Image, bool Locked)
{
    public string Name => Resolved.Name;

    public IReadOnlyList<string> World => Resolved.World;

    public Digest Manifest => Image.Descriptor.Digest;

    /// <summary>What refreshing tells apart: one name resolved for one world.</summary>
    public string Key => $"{Name}\n{string.Join(',', World)}";
}

/// <summary>
/// An image that was replaced or forgotten, still readable by digest until <paramref name="Until"/>, under
/// <paramref name="Name"/>: the top-level name or on-demand world it was served as.
/// </summary>
internal sealed record RetainedImage(string Name, ServedImage Image, DateTimeOffset Until);

/// <summary>
/// Everything the daemon serves at one moment: the top level, the on-demand worlds built so far, and the retained
/// images. Immutable: a change makes a new one, and readers switch to it all at once (index.json, the worlds'
/// layouts and the registry's tags never show half of a change).
/// </summary>
internal sealed class ServedImages
{
    public static readonly ServedImages Empty = new(
        ImmutableDictionary.Create<string, ServedImage>(StringComparer.Ordinal),
        ImmutableDictionary.Create<string, ServedImage>(StringComparer.Ordinal),
        []);

    /// <summary>The ref name of a world's image in its own layout.</summary>
    public const string Latest = "latest";

    // A world's layout is made when first asked for, once per version of the whole.
    private readonly ConcurrentDictionary<string, Layout> _worldLayouts = new(StringComparer.Ordinal);

    private ServedImages(ImmutableDictionary<string, ServedImage> top, ImmutableDictionary<string, ServedImage> worlds, ImmutableList<RetainedImage> retained)
    {
        Top = top;
        Worlds = worlds;
        Retained = retained;
        Root = new Layout(top.Select(t => new LayoutEntry(t.Key, t.Value.Image)), retained.Select(r => new LayoutEntry(r.Name, r.Image.Image)));
    }

    /// <summary>The top level's images by name: the configured ones and the on-demand ones whose names are references.</summary>
    public ImmutableDictionary<string, ServedImage> Top { get; }

    /// <summary>The on-demand worlds built (or remembered) so far, by directory name.</summary>
    public ImmutableDictionary<string, ServedImage> Worlds { get; }

    public ImmutableList<RetainedImage> Retained { get; }

    /// <summary>The top level's layout; it retains every retained image's blobs.</summary>
    public Layout Root { get; }

    /// <summary>Every image served, each once (an on-demand image can be at the top level and a world at once).</summary>
    public IEnumerable<ServedImage> Current => Top.Values.Concat(Worlds.Values).Distinct();

    /// <summary>Every image served or retained, each once.</summary>
    public IEnumerable<ServedImage> All => Current.Concat(Retained.Select(r => r.Image)).Distinct();

    /// <summary>
    /// A world's one-image layout (ref <c>latest</c>), retaining what the world was before; null when not built. Its
    /// index.json names the image alone, so `oci:/mnt/pkg2/WORLD` needs no reference; its SBOM's blobs are there.
    /// </summary>
    public Layout? WorldLayout(string world) =>
        Worlds.TryGetValue(world, out var image)
            ? _worldLayouts.GetOrAdd(world, w => new Layout(
                [new LayoutEntry(Latest, image.Image)],
                Retained.Where(r => r.Name == w).Select(r => new LayoutEntry(Latest, r.Image.Image)), listReferrers: false))
            : null;

    public ServedImages With(
        ImmutableDictionary<string, ServedImage>? top = null, ImmutableDictionary<string, ServedImage>? worlds = null,
        ImmutableList<RetainedImage>? retained = null) =>
        new(top ?? Top, worlds ?? Worlds, retained ?? Retained);
}
