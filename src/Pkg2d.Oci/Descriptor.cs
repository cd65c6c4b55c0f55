using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>An OCI content descriptor: what a blob is, its digest and size, and optional annotations and platform.</summary>
public sealed record Descriptor
{
    public Descriptor(string mediaType, Digest digest, long size)
    {
        ArgumentException.ThrowIfNullOrEmpty(mediaType);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        MediaType = mediaType;
        Digest = digest;
        Size = size;
    }

    public string MediaType { get; }
    public Digest Digest { get; }
    public long Size { get; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    public Platform? Platform { get; init; }

    /// <summary>What an artifact manifest holds (OCI 1.1), as a referrers list gives it.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>Writes mediaType, digest, size, artifactType, annotations, platform, in that order.</summary>
    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("mediaType", MediaType);
        writer.WriteString("digest", Digest.ToString());
        writer.WriteNumber("size", Size);
        CanonicalJson.WriteOptional(writer, "artifactType", ArtifactType);
        CanonicalJson.WriteMap(writer, "annotations", Annotations);
        if (Platform is { } platform)
        {
            writer.WriteStartObject("platform");
            writer.WriteString("architecture", platform.Architecture);
            writer.WriteString("os", platform.Os);
            CanonicalJson.WriteOptional(writer, "variant", platform.Variant);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    internal static Descriptor Read(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{what}: a descriptor is not a JSON object");
        var digestText = CanonicalJson.RequireString(element, "digest", what);
        if (!Digest.TryParse(digestText, out var digest))
            throw new InvalidDataException($"{what}: '{digestText}' is not a sha256 digest");
        if (!element.TryGetProperty("size", out var size) || !size.TryGetInt64(out var sizeValue) || sizeValue < 0)
            throw new InvalidDataException($"{what}: descriptor {digestText} has no valid size");
        Platform? platform = null;
        if (element.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object)
            platform = new Platform(
                CanonicalJson.RequireString(p, "os", what),
                CanonicalJson.RequireString(p, "architecture", what),
                CanonicalJson.OptionalString(p, "variant"));
        return new Descriptor(CanonicalJson.RequireString(element, "mediaType", what), digest, sizeValue)
        {
            Annotations = CanonicalJson.OptionalMap(element, "annotations"),
            Platform = platform,
            ArtifactType = CanonicalJson.OptionalString(element, "artifactType"),
        };
    }
}
