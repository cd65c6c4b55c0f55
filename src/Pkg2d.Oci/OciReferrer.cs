namespace Pkg2d.Oci;

/// <summary>
/// An artifact that refers to an image manifest, its subject (OCI 1.1): an image manifest with an `artifactType`,
/// the empty config `{}` and the artifact's blobs as its layers. A registry lists it among the subject's referrers;
/// a layout lists it in index.json beside the image it describes.
/// </summary>
public sealed class OciReferrer : IOciArtifact
{
    /// <summary>The config every artifact manifest shares.</summary>
    public static readonly MemoryBlob EmptyConfig = new(MediaTypes.OciEmpty, "{}"u8.ToArray());

    public OciReferrer(string artifactType, Descriptor subject, IReadOnlyList<IBlob> contents, IReadOnlyDictionary<string, string>? annotations = null)
    {
        if (contents.Count == 0)
            throw new ArgumentException("an artifact needs at least one blob", nameof(contents));
        ArtifactType = artifactType;
        // The subject as a registry resolves it: media type, digest and size (a layout's platform says nothing here).
        Subject = new Descriptor(subject.MediaType, subject.Digest, subject.Size);
        Contents = contents;
        Manifest = new Manifest(EmptyConfig.Descriptor, [.. contents.Select(c => c.Descriptor)])
        {
            ArtifactType = artifactType,
            Subject = Subject,
            Annotations = annotations,
        };
        ManifestBlob = new MemoryBlob(MediaTypes.OciManifest, Manifest.ToJson());
        Descriptor = ManifestBlob.Descriptor with { ArtifactType = artifactType, Annotations = annotations };
    }

    public string ArtifactType { get; }
    public Descriptor Subject { get; }
    public IReadOnlyList<IBlob> Contents { get; }
    public Manifest Manifest { get; }
    public MemoryBlob ManifestBlob { get; }

    /// <summary>The manifest's descriptor with its artifact type and annotations, as a referrers list holds it.</summary>
    public Descriptor Descriptor { get; }

    public IEnumerable<IBlob> Blobs => [ManifestBlob, EmptyConfig, .. Contents];
}
