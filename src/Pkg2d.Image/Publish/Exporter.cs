using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
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
}

/// <summary>What an export did, for the closing summary.</summary>
public sealed record ExportSummary(int Images, int Platforms, int Blobs, int Layers, long Bytes, int FactsFromCache, int FactsLearned);

/// <summary>Builds every requested image for every arch and publishes them in one layout, folder or archive.</summary>
public static class Exporter
{
    public static async Task<(Layout Layout, ExportSummary Summary)> BuildAsync(ExportRequest request, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var arches = request.Arches.Count > 0 ? request.Arches : [request.Repositories.Arch ?? AlpineArch.Host()];
        var names = request.Images.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (names is not null)
            throw new ArgumentException($"image name '{names.Key}' is given twice");

        var perImage = request.Images.ToDictionary(i => i.Name, _ => new List<OciImage>());
        int fromCache = 0, learned = 0;
        foreach (var arch in arches.Distinct())
        {
            using var engine = new ImageEngine(request.Repositories with { Arch = arch }, warn);
            foreach (var spec in request.Images)
                perImage[spec.Name].Add(await engine.BuildAsync(spec.Name, spec.WorldWith(request.BaseWorld), request.Image, cancellationToken));
            fromCache += engine.Stats.FactsFromCache;
            learned += engine.Stats.FactsLearned;
        }

        var layout = new Layout(request.Images.Select(spec => new LayoutEntry(spec.Name,
            perImage[spec.Name] is [var single] ? single : new OciImageIndex(perImage[spec.Name]))));
        var layers = layout.Blobs.Count(b => MediaTypes.IsLayer(b.Descriptor.MediaType));
        var summary = new ExportSummary(request.Images.Count, arches.Distinct().Count(), layout.Blobs.Count, layers,
            layout.Blobs.Sum(b => b.Descriptor.Size), fromCache, learned);
        return (layout, summary);
    }

    public static async Task<ExportSummary> ExportAsync(ExportRequest request, Action<string>? warn, CancellationToken cancellationToken = default)
    {
        var (layout, summary) = await BuildAsync(request, warn, cancellationToken);
        switch (request.Format)
        {
            case ExportFormat.Oci:
                await OciLayoutWriter.WriteAsync(layout, request.Output, cancellationToken);
                break;
            case ExportFormat.OciArchive:
                await OciArchiveWriter.WriteAsync(layout, request.Output, cancellationToken);
                break;
            case ExportFormat.DockerArchive:
                if (summary.Platforms > 1)
                    throw new ArgumentException("a docker-archive holds one platform per image: give one --arch");
                await DockerArchiveWriter.WriteAsync(layout, null, request.Output, cancellationToken);
                break;
        }
        return summary;
    }
}
