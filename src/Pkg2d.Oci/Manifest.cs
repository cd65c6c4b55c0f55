using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>An OCI image manifest: schemaVersion 2, mediaType, config, layers, annotations (in that order).</summary>
public sealed record Manifest(Descriptor Config, IReadOnlyList<Descriptor> Layers)
{
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public byte[] ToJson() => CanonicalJson.Write(writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("schemaVersion", 2);
        writer.WriteString("mediaType", MediaTypes.OciManifest);
        writer.WritePropertyName("config");
        Config.WriteTo(writer);
        writer.WriteStartArray("layers");
        foreach (var layer in Layers)
            layer.WriteTo(writer);
        writer.WriteEndArray();
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
