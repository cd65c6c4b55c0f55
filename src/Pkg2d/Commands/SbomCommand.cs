using System.CommandLine;
using Pkg2d.Image.Publish;
using Pkg2d.Image.Sbom;
using Pkg2d.Oci;

namespace Pkg2d.Commands;

/// <summary>
/// `pkg2d sbom`: the SPDX document of an image, read from an OCI layout or oci-archive that export wrote, or made by
/// building the image as export would.
/// </summary>
internal static class SbomCommand
{
    /// <summary>The most an SBOM document read back may hold (one of a few thousand packages is a few MiB).</summary>
    private const long MaxBlobBytes = 64L << 20;

    /// <summary>The most an image index or a manifest read back may hold.</summary>
    private const long MaxManifestBytes = 4L << 20;

    public static Command Create(CommonOptions common)
    {
        var from = new Option<string?>("--from")
        {
            Description = "An OCI layout folder or oci-archive file (as export writes them) to read the image's SBOM from; without it, the image is built.",
        };
        var output = new Option<string?>("--out", "-o") { Description = "Write the document to this file (replaced atomically) instead of stdout." };
        var format = new Option<string>("--format") { Description = "The document's format.", DefaultValueFactory = _ => "spdx-json" };
        format.AcceptOnlyFromAmong("spdx-json");
        var selection = new ImageSelection(builds: true);
        var command = new Command("sbom", "Print an image's SPDX 2.3 document: every package with its version, licence, supplier, checksums, "
            + "purl and dependencies. From an exported layout or archive (--from), or by building the image.");
        common.AddTo(command, withArch: false);
        foreach (var option in new Option[] { from, output, format })
            command.Options.Add(option);
        selection.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            byte[] document;
            if (result.GetValue(from) is { } source)
            {
                var request = selection.Request(result, common);
                if (request.Images is not [var image])
                    throw new ArgumentException("name one image to read the SBOM of");
                document = Read(source, image.Name, request.Arches);
            }
            else
            {
                var request = selection.Request(result, common);
                request = request with { Image = request.Image with { Sbom = true } };
                if (request.Images.Count != 1)
                    throw new ArgumentException("name one image to build the SBOM of");
                using var build = await Exporter.BuildAsync(request, Cli.Warn, cancellationToken);
                document = Document(build.Layout, request.Images[0].Name, request.Arches, "the built image");
            }
            if (result.GetValue(output) is { } path)
                await AtomicOutput.WriteFileAsync(Path.GetFullPath(path), (stream, token) => stream.WriteAsync(document, token).AsTask(), cancellationToken);
            else
            {
                using var stdout = Console.OpenStandardOutput();
                stdout.Write(document);
            }
            return 0;
        });
        return command;
    }

    /// <summary>The document from a layout folder or an oci-archive, every blob read checked against its descriptor.</summary>
    private static byte[] Read(string source, string name, IReadOnlyList<string> arches)
    {
        StoredLayout layout = Directory.Exists(source) ? new FolderLayout(source)
            : File.Exists(source) ? new ArchiveLayout(source)
            : throw new FileNotFoundException($"{source} is neither an OCI layout folder nor an oci-archive");
        var index = ImageIndex.Parse(layout.IndexJson(), $"{source}: index.json");
        var entry = index.Manifests.FirstOrDefault(m => m.Annotations?.GetValueOrDefault(AnnotationKeys.RefName) == name)
            ?? throw new ArgumentException($"{source} has no image '{name}'");
        var manifest = MediaTypes.IsIndex(entry.MediaType)
            ? Platform(ImageIndex.Parse(layout.Blob(entry, MaxManifestBytes), $"{source}: {name}").Manifests, arches, $"{source}: {name}")
            : entry;
        foreach (var candidate in index.Manifests.Where(m => m.ArtifactType == ImageSbom.ArtifactType && MediaTypes.IsManifest(m.MediaType)))
        {
            var artifact = Manifest.Parse(layout.Blob(candidate, MaxManifestBytes), $"{source}: {candidate.Digest}");
            if (artifact.Subject?.Digest != manifest.Digest)
                continue;
            if (artifact.Layers is not [{ MediaType: MediaTypes.SpdxJson } document, ..])
                throw new InvalidDataException($"{source}: the SBOM {candidate.Digest} of '{name}' holds no {MediaTypes.SpdxJson} document");
            return layout.Blob(document, MaxBlobBytes);
        }
        throw new ArgumentException($"{source}: image '{name}' ({manifest.Digest}) has no SBOM (exported with --sbom false?)");
    }

    private static byte[] Document(Layout layout, string name, IReadOnlyList<string> arches, string source)
    {
        var entry = layout.Entries.Single(e => e.Name == name);
        var manifest = entry.Artifact is OciImageIndex index ? Platform(index.Images.Select(i => i.Descriptor).ToArray(), arches, source) : entry.Artifact.Descriptor;
        var referrer = layout.ReferrersOf(manifest.Digest).First(r => r.ArtifactType == ImageSbom.ArtifactType);
        using var stream = referrer.Contents[0].Open();
        using var bytes = new MemoryStream();
        stream.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>The manifest of the one arch asked for (Alpine's name), or of the only platform.</summary>
    private static Descriptor Platform(IReadOnlyList<Descriptor> manifests, IReadOnlyList<string> arches, string what)
    {
        if (arches is [var arch])
        {
            var platform = Pkg2d.Oci.Platform.FromAlpineArch(arch);
            return manifests.FirstOrDefault(m => m.Platform == platform) ?? throw new ArgumentException($"{what} has no image for {arch}");
        }
        return manifests is [var only] ? only
            : throw new ArgumentException($"{what} is an image for {manifests.Count} platforms: give one --arch");
    }
}
