using System.Globalization;
using Pkg2d.Apk.Index;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;

namespace Pkg2d.Image.Sbom;

/// <summary>
/// Attaches an image's SPDX document to it as an OCI 1.1 referrer (artifactType `application/spdx+json`, the empty
/// config, the document as its one layer, the image's manifest as subject), made from the same signed index
/// records and layer digests as the image, so it is as reproducible as the image.
/// </summary>
public static class ImageSbom
{
    public const string ArtifactType = MediaTypes.SpdxJson;

    /// <param name="entries">The image's packages in install order, as the index gives them.</param>
    /// <param name="facts">The same packages' facts (their layer digests: the `datahash` Alpine signed).</param>
    public static OciImage Attach(OciImage image, string name, string arch, IReadOnlyList<ApkIndexEntry> entries, IReadOnlyList<PackageFacts> facts)
    {
        var created = image.Config.Created ?? DateTimeOffset.UnixEpoch;
        var document = SpdxDocument.Write(new SbomInput
        {
            ImageName = name,
            ManifestDigest = image.Descriptor.Digest.ToString(),
            Arch = arch,
            Created = created,
            Packages = [.. entries.Zip(facts, (entry, fact) => new SbomPackage(entry, fact.LayerDigest))],
            AlpineRelease = AlpineRelease(entries),
        });
        var referrer = new OciReferrer(ArtifactType, image.Descriptor, [new MemoryBlob(MediaTypes.SpdxJson, document)],
            new Dictionary<string, string>
            {
                [AnnotationKeys.Created] = created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            });
        return image.WithReferrers([.. image.Referrers, referrer]);
    }

    /// <summary>
    /// What the image's etc/alpine-release says: alpine-release writes its own version there (without `-rN`).
    /// Null when the image has no alpine-release.
    /// </summary>
    public static string? AlpineRelease(IEnumerable<ApkIndexEntry> entries) =>
        entries.FirstOrDefault(e => e.Name == "alpine-release")?.Version is { } version
            ? version.LastIndexOf("-r", StringComparison.Ordinal) is var release and > 0 ? version[..release] : version
            : null;
}
