using System.Globalization;
using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>The execution parameters of an image config's "config" member (Docker's capitalised names).</summary>
public sealed record ContainerConfig
{
    public string? User { get; init; }
    public IReadOnlyList<string>? ExposedPorts { get; init; }
    public IReadOnlyList<string>? Env { get; init; }
    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }
    public IReadOnlyList<string>? Volumes { get; init; }
    public string? WorkingDir { get; init; }
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
    public string? StopSignal { get; init; }

    internal bool IsEmpty =>
        string.IsNullOrEmpty(User) && IsNullOrEmpty(ExposedPorts) && IsNullOrEmpty(Env) && IsNullOrEmpty(Entrypoint)
        && IsNullOrEmpty(Cmd) && IsNullOrEmpty(Volumes) && string.IsNullOrEmpty(WorkingDir)
        && (Labels is null || Labels.Count == 0) && string.IsNullOrEmpty(StopSignal);

    private static bool IsNullOrEmpty<T>(IReadOnlyCollection<T>? list) => list is null || list.Count == 0;

    internal void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("config");
        CanonicalJson.WriteOptional(writer, "User", User);
        CanonicalJson.WriteSet(writer, "ExposedPorts", ExposedPorts);
        CanonicalJson.WriteStrings(writer, "Env", Env);
        CanonicalJson.WriteStrings(writer, "Entrypoint", Entrypoint);
        CanonicalJson.WriteStrings(writer, "Cmd", Cmd);
        CanonicalJson.WriteSet(writer, "Volumes", Volumes);
        CanonicalJson.WriteOptional(writer, "WorkingDir", WorkingDir);
        CanonicalJson.WriteMap(writer, "Labels", Labels);
        CanonicalJson.WriteOptional(writer, "StopSignal", StopSignal);
        writer.WriteEndObject();
    }

    internal static ContainerConfig Read(JsonElement c) => new()
    {
        User = CanonicalJson.OptionalString(c, "User"),
        ExposedPorts = CanonicalJson.OptionalSet(c, "ExposedPorts"),
        Env = CanonicalJson.OptionalStrings(c, "Env"),
        Entrypoint = CanonicalJson.OptionalStrings(c, "Entrypoint"),
        Cmd = CanonicalJson.OptionalStrings(c, "Cmd"),
        Volumes = CanonicalJson.OptionalSet(c, "Volumes"),
        WorkingDir = CanonicalJson.OptionalString(c, "WorkingDir"),
        Labels = CanonicalJson.OptionalMap(c, "Labels"),
        StopSignal = CanonicalJson.OptionalString(c, "StopSignal"),
    };
}

/// <summary>One entry of an image config's history: how a layer (or an empty step) came to be.</summary>
public sealed record HistoryEntry
{
    public DateTimeOffset? Created { get; init; }
    public string? CreatedBy { get; init; }
    public string? Author { get; init; }
    public string? Comment { get; init; }
    /// <summary>True when this step made no layer (e.g. setting Env).</summary>
    public bool EmptyLayer { get; init; }
}

/// <summary>
/// An OCI image config (application/vnd.oci.image.config.v1+json). Its JSON has the image-spec's member order:
/// created, author, architecture, os, variant, config, rootfs, history.
/// </summary>
public sealed record ImageConfig
{
    public ImageConfig(Platform platform) => Platform = platform;

    public Platform Platform { get; init; }
    public DateTimeOffset? Created { get; init; }
    public string? Author { get; init; }
    public ContainerConfig Config { get; init; } = new();
    /// <summary>The uncompressed-layer digests, bottom layer first (rootfs.diff_ids).</summary>
    public IReadOnlyList<Digest> DiffIds { get; init; } = [];
    public IReadOnlyList<HistoryEntry> History { get; init; } = [];

    public byte[] ToJson() => CanonicalJson.Write(writer =>
    {
        writer.WriteStartObject();
        if (Created is { } created)
            writer.WriteString("created", CanonicalJson.FormatTime(created));
        CanonicalJson.WriteOptional(writer, "author", Author);
        writer.WriteString("architecture", Platform.Architecture);
        writer.WriteString("os", Platform.Os);
        CanonicalJson.WriteOptional(writer, "variant", Platform.Variant);
        if (!Config.IsEmpty)
            Config.WriteTo(writer);
        writer.WriteStartObject("rootfs");
        writer.WriteString("type", "layers");
        writer.WriteStartArray("diff_ids");
        foreach (var diffId in DiffIds)
            writer.WriteStringValue(diffId.ToString());
        writer.WriteEndArray();
        writer.WriteEndObject();
        if (History.Count > 0)
        {
            writer.WriteStartArray("history");
            foreach (var entry in History)
            {
                writer.WriteStartObject();
                if (entry.Created is { } time)
                    writer.WriteString("created", CanonicalJson.FormatTime(time));
                CanonicalJson.WriteOptional(writer, "created_by", entry.CreatedBy);
                CanonicalJson.WriteOptional(writer, "author", entry.Author);
                CanonicalJson.WriteOptional(writer, "comment", entry.Comment);
                if (entry.EmptyLayer)
                    writer.WriteBoolean("empty_layer", true);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    });

    public static ImageConfig Parse(ReadOnlyMemory<byte> json, string what = "image config")
    {
        using var document = CanonicalJson.Parse(json, what);
        var root = document.RootElement;
        var platform = new Platform(
            CanonicalJson.RequireString(root, "os", what),
            CanonicalJson.RequireString(root, "architecture", what),
            CanonicalJson.OptionalString(root, "variant"));
        if (!root.TryGetProperty("rootfs", out var rootfs) || rootfs.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{what} has no rootfs");
        if (CanonicalJson.RequireString(rootfs, "type", what) != "layers")
            throw new InvalidDataException($"{what}: rootfs.type is not 'layers'");
        var diffIds = CanonicalJson.Array(rootfs, "diff_ids", what).Select(e =>
            Digest.TryParse(e.GetString(), out var d) ? d : throw new InvalidDataException($"{what}: bad diff_id '{e}'"));
        return new ImageConfig(platform)
        {
            Created = ParseTime(CanonicalJson.OptionalString(root, "created"), what),
            Author = CanonicalJson.OptionalString(root, "author"),
            Config = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? ContainerConfig.Read(c) : new(),
            DiffIds = diffIds.ToArray(),
            History = CanonicalJson.Array(root, "history", what).Select(h => new HistoryEntry
            {
                Created = ParseTime(CanonicalJson.OptionalString(h, "created"), what),
                CreatedBy = CanonicalJson.OptionalString(h, "created_by"),
                Author = CanonicalJson.OptionalString(h, "author"),
                Comment = CanonicalJson.OptionalString(h, "comment"),
                EmptyLayer = h.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True,
            }).ToArray(),
        };
    }

    private static DateTimeOffset? ParseTime(string? text, string what) =>
        text is null ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time) ? time
        : throw new InvalidDataException($"{what}: '{text}' is not an RFC 3339 time");
}
