using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Catalog;
using Pkg2d.Oci;

namespace Pkg2d.Image.Publish;

public enum ExportFormat { Oci, OciArchive, DockerArchive }

/// <summary>What `pkg2d export` is asked for.</summary>
public sealed record ExportRequest
{
    public required string Output { get; init; }
    public ExportFormat Format { get; init; } = ExportFormat.Oci;
    public required IReadOnlyList<ImageSpec> Images { get; init; }

    /// <summary>Alpine arches; several give each image an OCI image index over them. Empty: the repository options' arch.</summary>
    public IReadOnlyList<string> Arches { get; init; } = [];

    /// <summary>The world every image starts from.</summary>
    public IReadOnlyList<string> BaseWorld { get; init; } = ImageSpec.DefaultBase;

    public required RepositoryOptions Repositories { get; init; }
    public ImageOptions Image { get; init; } = new();

    /// <summary>Settings of every image; an image's own (from an image file) win field by field.</summary>
    public ImageSettings Settings { get; init; } = ImageSettings.None;

    /// <summary>Build exactly the locked packages instead of resolving against the indexes.</summary>
    public LockFile? Lock { get; init; }
}

/// <summary>What an export did, for the closing summary.</summary>
public sealed record ExportSummary(int Images, int Platforms, int Blobs, int Layers, long Bytes, int FactsFromCache, int FactsLearned);

/// <summary>
/// Built images, ready to publish. Their layers are read when they are written, and a layer whose package is no
/// longer cached is fetched again then: the engines that fetch stay open until this is disposed.
/// </summary>
public sealed class ExportBuild(Layout layout, ExportSummary summary, IReadOnlyList<ImageEngine> engines) : IDisposable
{
    public Layout Layout { get; } = layout;
    public ExportSummary Summary { get; } = summary;

    public void Dispose()
    {
        foreach (var engine in engines)
            engine.Dispose();
    }
}

/// <summary>Builds every requested image for every arch and publishes them in one layout, folder or archive.</summary>
public static class Exporter
{
    public static async Task<ExportBuild> BuildAsync(ExportRequest request, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var arches = Arches(request);

        var perImage = request.Images.ToDictionary(i => i.Name, _ => new List<OciImage>());
        var engines = new List<ImageEngine>();
        try
        {
            foreach (var arch in arches)
            {
                var engine = new ImageEngine(request.Repositories with { Arch = arch }, warn);
                engines.Add(engine);
                // Apart from the daemon's catalog: these records are keyed by their inputs, the daemon's are not.
                var resolutions = new ImageCatalog(Path.Combine(engine.Store.Cache.Root, "resolved"));
                foreach (var spec in request.Images.Where(i => ArchesOf(i, request).Contains(arch)))
                {
                    var world = spec.WorldWith(request.BaseWorld);
                    var settings = spec.Settings.Over(request.Settings);
                    var resolved = request.Lock is { } locked
                        ? locked.Find(spec.Name, engine.Arch, world, request.Repositories.ApkTools, settings)
                        : await engine.ResolveAsync(spec.Name, world, resolutions, cancellationToken) with { Settings = settings };
                    perImage[spec.Name].Add(await engine.AssembleAsync(resolved, request.Image, cancellationToken));
                }
            }
        }
        catch
        {
            engines.ForEach(e => e.Dispose());
            throw;
        }

        var layout = new Layout(request.Images.Select(spec => new LayoutEntry(spec.Name,
            perImage[spec.Name] is [var single] ? single : new OciImageIndex(perImage[spec.Name]))));
        var layers = layout.Blobs.Count(b => MediaTypes.IsLayer(b.Descriptor.MediaType));
        var summary = new ExportSummary(request.Images.Count, engines.Count, layout.Blobs.Count, layers,
            layout.Blobs.Sum(b => b.Descriptor.Size), engines.Sum(e => e.Stats.FactsFromCache), engines.Sum(e => e.Stats.FactsLearned));
        return new ExportBuild(layout, summary, engines);
    }

    /// <summary>Resolves every requested image for every arch, as a lock of exactly what an export would build now.</summary>
    public static async Task<LockFile> LockAsync(ExportRequest request, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var images = new List<ResolvedImage>();
        foreach (var arch in Arches(request))
        {
            using var engine = new ImageEngine(request.Repositories with { Arch = arch }, warn);
            foreach (var spec in request.Images.Where(i => ArchesOf(i, request).Contains(arch)))
                images.Add(await engine.ResolveAsync(spec.Name, spec.WorldWith(request.BaseWorld), cancellationToken) with
                {
                    Settings = spec.Settings.Over(request.Settings),
                });
        }
        return new LockFile(images);
    }

    public static async Task<ExportSummary> ExportAsync(ExportRequest request, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        using var build = await BuildAsync(request, warn, cancellationToken);
        switch (request.Format)
        {
            case ExportFormat.Oci:
                await OciLayoutWriter.WriteAsync(build.Layout, request.Output, cancellationToken);
                break;
            case ExportFormat.OciArchive:
                await OciArchiveWriter.WriteAsync(build.Layout, request.Output, cancellationToken);
                break;
            case ExportFormat.DockerArchive:
                if (build.Summary.Platforms > 1)
                    throw new ArgumentException("a docker-archive holds one platform per image: give one --arch");
                await DockerArchiveWriter.WriteAsync(build.Layout, null, request.Output, cancellationToken);
                break;
        }
        return build.Summary;
    }

    /// <summary>The arches an image is built for: its own, else the request's, else this machine's (or the repository options').</summary>
    private static IReadOnlyList<string> ArchesOf(ImageSpec image, ExportRequest request) =>
        image.Arches is { Count: > 0 } own ? own
        : request.Arches.Count > 0 ? request.Arches
        : [request.Repositories.Arch ?? AlpineArch.Host()];

    /// <summary>Every arch some image is built for, once each; the image names are checked first, before any download.</summary>
    private static IReadOnlyList<string> Arches(ExportRequest request)
    {
        var names = request.Images.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null)
            throw new ArgumentException($"image name '{names.Key}' is given twice");
        // The name becomes the image's reference in index.json.
        if (request.Images.FirstOrDefault(i => !Layout.IsValidRefName(i.Name)) is { } invalid)
            throw new ArgumentException($"image name '{invalid.Name}' is not a valid OCI reference name (letters, digits and . _ - : @ + separators)");
        if (request.Images.Count == 0)
            throw new ArgumentException("no image to build: name one (NAME or NAME=WORLD) or give --file");
        return [.. request.Images.SelectMany(i => ArchesOf(i, request)).Distinct()];
    }
}
