using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pkg2d.Oci;

/// <summary>
/// How this project writes JSON whose bytes are hashed: properties in a fixed order chosen by each type, no
/// whitespace, no null or empty optional members, maps sorted by ordinal key, and
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>. That encoder escapes only what JSON requires (quote,
/// backslash, control characters) plus characters outside the assigned Unicode ranges, leaving '+', '&lt;', '&amp;'
/// and non-ASCII text as themselves; the "unsafe" only concerns embedding in HTML, which these bytes never are.
/// The same model therefore always gives the same bytes and digest.
/// </summary>
internal static class CanonicalJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    public static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            write(writer);
        return buffer.ToArray();
    }

    public static void WriteMap(Utf8JsonWriter writer, string name, IReadOnlyDictionary<string, string>? map)
    {
        if (map is null || map.Count == 0)
            return;
        writer.WriteStartObject(name);
        foreach (var (key, value) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            writer.WriteString(key, value);
        writer.WriteEndObject();
    }

    /// <summary>A set written the Docker way: {"key":{}} (ExposedPorts, Volumes).</summary>
    public static void WriteSet(Utf8JsonWriter writer, string name, IReadOnlyCollection<string>? set)
    {
        if (set is null || set.Count == 0)
            return;
        writer.WriteStartObject(name);
        foreach (var key in set.Distinct().Order(StringComparer.Ordinal))
        {
            writer.WriteStartObject(key);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string>? values)
    {
        if (values is null || values.Count == 0)
            return;
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    public static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            writer.WriteString(name, value);
    }

    /// <summary>RFC 3339 in UTC with only as many fraction digits as needed (none for whole seconds).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFF'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static JsonDocument Parse(ReadOnlyMemory<byte> json, string what)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what} is not valid JSON: {e.Message}", e);
        }
    }

    public static string RequireString(JsonElement obj, string name, string what) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidDataException($"{what} has no string '{name}'");

    public static string? OptionalString(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static IReadOnlyDictionary<string, string>? OptionalMap(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.Object)
            return null;
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
            map[property.Name] = property.Value.GetString() ?? "";
        return map;
    }

    public static IReadOnlyList<string>? OptionalStrings(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Select(v => v.GetString() ?? "").ToArray()
            : null;

    public static IReadOnlyList<string>? OptionalSet(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value.EnumerateObject().Select(p => p.Name).ToArray()
            : null;

    public static IEnumerable<JsonElement> Array(JsonElement obj, string name, string what)
    {
        if (!obj.TryGetProperty(name, out var value))
            return [];
        return value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw new InvalidDataException($"{what}: '{name}' is not an array");
    }
}
