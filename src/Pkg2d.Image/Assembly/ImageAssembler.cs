using System.Globalization;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Install;
using Pkg2d.Image.Packages;
using Pkg2d.Image.TopLayer;
using Pkg2d.Oci;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Assembly;

/// <summary>Everything that goes into one single-platform image.</summary>
public sealed record ImageContent
{
    public required string Name { get; init; }
    public required string Arch { get; init; }

    /// <summary>The world the packages were resolved from (base world included).</summary>
    public required IReadOnlyList<string> World { get; init; }

    /// <summary>The packages in install order.</summary>
    public required IReadOnlyList<PackageFacts> Packages { get; init; }

    public required IReadOnlyList<string> Repositories { get; init; }
    public required IReadOnlyList<KeyValuePair<string, byte[]>> Keys { get; init; }

    /// <summary>The image's creation time; null means the newest package build date.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>Which apk-tools' install the image reproduces.</summary>
    public ApkToolsGeneration ApkTools { get; init; } = ApkToolsGeneration.V2;

    /// <summary>What the image runs, its annotations, and what is added to its root after the install.</summary>
    public ImageSettings Settings { get; init; } = ImageSettings.None;
}

/// <summary>Where a package layer's bytes come from, and how merged layers' digests are remembered.</summary>
public interface ILayerSource
{
    /// <summary>The package's data member: the gzip bytes whose sha256 is <see cref="PackageFacts.LayerDigest"/>.</summary>
    Stream OpenPackageData(PackageFacts package);

    /// <summary>The digests of a derived layer, computed once (reading the packages it copies from) and then remembered.</summary>
    LayerDigests DerivedLayerDigests(string key, IReadOnlyList<LayerPart> parts);
}

/// <summary>
/// Assembles an OCI image from package facts: one layer per package (its own data member, byte for byte), the
/// smallest packages merged when there are more than the layer budget allows, and the image's top layer.
/// Needs no package bytes except to learn a merged layer's digest the first time.
/// </summary>
public static class ImageAssembler
{
    /// <summary>overlayfs and podman stop near 125 layers; this leaves room for images built on top.</summary>
    public const int DefaultMaxLayers = 100;

    /// <summary>Annotations under this prefix are pkg2d's own; settings may not give them.</summary>
    public const string OwnAnnotationPrefix = "dev.pkg2d.";
    public const string PackagesAnnotation = "dev.pkg2d.packages";
    public const string WorldAnnotation = "dev.pkg2d.world";

    /// <summary>The install scripts pkg2d did not emulate, which `/.pkg/install.sh` runs.</summary>
    public const string PendingScriptsAnnotation = "dev.pkg2d.pending-scripts";

    /// <summary>The apk-tools generation whose install the image reproduces (2 or 3).</summary>
    public const string ApkToolsAnnotation = "dev.pkg2d.apk-tools";

    /// <summary>Packages whose layer was rewritten (re-rooted under a merged /usr), each with its original datahash.</summary>
    public const string RerootedAnnotation = "dev.pkg2d.rerooted";

    private static readonly IReadOnlyDictionary<string, EntryChange> NoChanges = new Dictionary<string, EntryChange>();

    /// <param name="warn">Told once per install script that is not emulated.</param>
    public static OciImage Assemble(ImageContent content, ILayerSource source, int maxLayers = DefaultMaxLayers, Action<string>? warn = null)
    {
        if (maxLayers < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLayers), "an image needs room for at least one package layer and the top layer");
        var created = content.Created ?? DateTimeOffset.FromUnixTimeSeconds(content.Packages.Select(p => p.BuildDate).DefaultIfEmpty(0).Max());

        // What apk would leave behind decides the top layer and which package layers must be re-rooted.
        var settings = content.Settings;
        if (settings.Annotations.FirstOrDefault(a => a.Key.StartsWith(OwnAnnotationPrefix, StringComparison.Ordinal)) is { Key: { } own })
            throw new ArgumentException($"image '{content.Name}': --annotation {own}: annotations {OwnAnnotationPrefix}* are pkg2d's own");
        var install = InstallSimulator.Run(content.Packages, created, new PackageContents(source.OpenPackageData), content.ApkTools,
            (content.Name, settings));
        TopLayerBuilder.AddApkFiles(new TopLayerSpec
        {
            Packages = content.Packages,
            World = content.World,
            Repositories = content.Repositories,
            Arch = content.Arch,
            Keys = content.Keys,
            Created = created,
            ApkTools = content.ApkTools,
        }, install);

        foreach (var pending in install.Pending)
            warn?.Invoke($"{content.Name}: {pending.Package.Name}{pending.Script}: {pending.Reason}; RUN /.pkg/install.sh completes it");
        foreach (var warning in install.Warnings)
            warn?.Invoke(warning);

        var layers = new List<ILayer>();
        var history = new List<HistoryEntry>();
        var groups = GroupLayers(content.Packages, maxLayers - 1);
        foreach (var group in groups)
        {
            if (group.Count == 1 && !install.Rewrites.ContainsKey(group[0].Key))
            {
                var package = group[0];
                var digests = new LayerDigests(Digest.Parse(package.LayerDigest), package.DataLength, Digest.Parse(package.DiffId));
                layers.Add(new Layer(digests, () => source.OpenPackageData(package)));
            }
            else
            {
                IReadOnlyList<LayerPart> parts = [.. group.Select(p => new PackageEntries(p, install.Rewrites.GetValueOrDefault(p.Key) ?? NoChanges))];
                layers.Add(Derived(parts, source));
            }
            history.Add(new HistoryEntry
            {
                Created = created,
                CreatedBy = "apk add " + string.Join(' ', group.Select(p => $"{p.Name}={p.Version}")),
                Comment = group.Count > 1 ? $"{group.Count} small packages merged into one layer"
                    : install.Rewrites.ContainsKey(group[0].Key) ? $"package {group[0]}, re-rooted as apk installs it (datahash {group[0].LayerDigest})"
                    : "package " + group[0],
            });
        }

        var unpacked = LayerStack.Unpack(groups.SelectMany(g => g), install.Rewrites);
        layers.Add(Derived(TopLayerBuilder.Build(install.Root, unpacked, created), source));
        history.Add(new HistoryEntry { Created = created, CreatedBy = "pkg2d: apk database, emulated install scripts, owners and conflicts as apk resolves them" });

        var config = new ImageConfig(Platform.FromAlpineArch(content.Arch))
        {
            Created = created,
            Config = new ContainerConfig
            {
                User = settings.User,
                ExposedPorts = settings.ExposedPorts,
                Env = settings.ConfigEnv(),
                Entrypoint = settings.Entrypoint,
                Cmd = settings.ConfigCmd(),
                Volumes = settings.Volumes,
                WorkingDir = settings.WorkingDir,
                Labels = settings.Labels.Count > 0 ? settings.Labels.ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal) : null,
                StopSignal = settings.StopSignal,
            },
            History = history,
        };
        var annotations = new Dictionary<string, string>
        {
            [AnnotationKeys.Title] = content.Name,
            [AnnotationKeys.Created] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            [WorldAnnotation] = string.Join(' ', content.World),
            [PackagesAnnotation] = string.Join(' ', content.Packages.Select(p => $"{p.Name}-{p.Version}")),
            [ApkToolsAnnotation] = ((int)content.ApkTools).ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in settings.Annotations)
            annotations[key] = value;
        if (install.Pending.Count > 0)
            annotations[PendingScriptsAnnotation] = string.Join(' ', install.Pending.Select(p => $"{p.Package.Name}-{p.Package.Version}{p.Script}"));
        if (install.Rewrites.Count > 0)
            annotations[RerootedAnnotation] = string.Join(' ', content.Packages.Where(p => install.Rewrites.ContainsKey(p.Key)).Select(p => $"{p.Name}-{p.Version}={p.LayerDigest}"));
        return new OciImage(config, layers, annotations);
    }

    /// <summary>
    /// One group per package in install order, except that when there are more packages than <paramref name="budget"/>
    /// the smallest ones (by layer size, then name) form one merged group, placed where its first member would be.
    /// </summary>
    public static List<IReadOnlyList<PackageFacts>> GroupLayers(IReadOnlyList<PackageFacts> packages, int budget)
    {
        if (packages.Count <= budget)
            return [.. packages.Select(p => (IReadOnlyList<PackageFacts>)[p])];
        var mergeCount = packages.Count - budget + 1;
        var merged = packages
            .OrderBy(p => p.DataLength)
            .ThenBy(p => p.Name, StringComparer.Ordinal)
            .ThenBy(p => p.Key, StringComparer.Ordinal)
            .Take(mergeCount)
            .ToHashSet();
        var groups = new List<IReadOnlyList<PackageFacts>>();
        var mergedGroup = packages.Where(merged.Contains).ToArray();
        foreach (var package in packages)
        {
            if (!merged.Contains(package))
                groups.Add([package]);
            else if (package == mergedGroup[0])
                groups.Add(mergedGroup);
        }
        return groups;
    }

    /// <summary>A derived layer; its digests are remembered by the source when computing them needs package bytes.</summary>
    private static Layer Derived(IReadOnlyList<LayerPart> parts, ILayerSource source)
    {
        var digests = DerivedLayer.IsOwnOnly(parts)
            ? DerivedLayer.ComputeDigests(parts, source.OpenPackageData)
            : source.DerivedLayerDigests(DerivedLayer.KeyOf(parts), parts);
        return DerivedLayer.Create(parts, digests, source.OpenPackageData);
    }
}
