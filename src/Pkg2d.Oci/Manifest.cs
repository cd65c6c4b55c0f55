using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>
/// An OCI image manifest: schemaVersion 2, mediaType, artifactType, config, layers, subject, annotations (in that
/// order; artifactType and subject only for an artifact that refers to another manifest, OCI 1.1).
/// </summary>
public sealed record Manifest(Descriptor Config, IReadOnlyList<Descriptor> Layers)
{
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public string? ArtifactType { get; init; }

    /// <summary>The manifest this one refers to (it is listed among that manifest's referrers).</summary>
    public Descriptor? Subject { get; init; }

    public byte[] ToJson() => CanonicalJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", MediaTypes.OciManifest);
        CanonicalJson.WriteOptional(writer, "artifactType", ArtifactType);
        writer.WritePropertyName("config");
        Config.WriteTo(writer);
        writer.WriteStartArray("layers");
        foreach (var layer in Layers)
            layer.WriteTo(writer);
        writer.WriteEndArray();
        if (Subject is { } subject)
        {
            writer.WritePropertyName("subject");
            subject.WriteTo(writer);
        }
        CanonicalJson.WriteMap(writer, "annotations", Annotations);
        writer.WriteEndObject();
    });

    public static Manifest Parse(ReadOnlyMemory<byte> json, string what = "manifest")
    {
        using var document = CanonicalJson.Parse(json, what);
        var root = document.RootElement;
        RequireSchemaVersion2(root, what);
        if (CanonicalJson.OptionalString(root, "mediaType") is { } mediaType && !MediaTypes.IsManifest(mediaType))
            throw new InvalidDataException($"{what}: mediaType '{mediaType}' is not an image manifest");
        if (!root.TryGetProperty("config", out var config))
            throw new InvalidDataException($"{what} has no config");
        return new Manifest(
            Descriptor.Read(config, what),
            CanonicalJson.Array(root, "layers", what).Select(l => Descriptor.Read(l, what)).ToArray())
        {
            Annotations = CanonicalJson.OptionalMap(root, "annotations"),
            ArtifactType = CanonicalJson.OptionalString(root, "artifactType"),
            Subject = root.TryGetProperty("subject", out var subject) ? Descriptor.Read(subject, what) : null,
        };
    }

    internal static void RequireSchemaVersion2(JsonElement root, string what)
    {
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("schemaVersion", out var version) || !version.TryGetInt32(out var v) || v != 2)
            throw new InvalidDataException($"{what} does not have schemaVersion 2");
    }
}

/// <summary>An OCI image index (also the shape of index.json): schemaVersion 2, mediaType, manifests, annotations.</summary>
public sealed record ImageIndex(IReadOnlyList<Descriptor> Manifests)
{
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public byte[] ToJson() => CanonicalJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", MediaTypes.OciIndex);
        writer.WriteStartArray("manifests");
        foreach (var manifest in Manifests)
            manifest.WriteTo(writer);
        writer.WriteEndArray();
        CanonicalJson.WriteMap(writer, "annotations", Annotations);
        writer.WriteEndObject();
    });

    public static ImageIndex Parse(ReadOnlyMemory<byte> json, string what = "image index")
    {
        using var document = CanonicalJson.Parse(json, what);
        var root = document.RootElement;
        Manifest.RequireSchemaVersion2(root, what);
        if (CanonicalJson.OptionalString(root, "mediaType") is { } mediaType && !MediaTypes.IsIndex(mediaType))
            throw new InvalidDataException($"{what}: mediaType '{mediaType}' is not an image index");
        return new ImageIndex(CanonicalJson.Array(root, "manifests", what).Select(m => Descriptor.Read(m, what)).ToArray())
        {
            Annotations = CanonicalJson.OptionalMap(root, "annotations"),
        };
    }
}
