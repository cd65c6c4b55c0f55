using System.Text.Json;
using Pkg2d.Apk.Index;
using Pkg2d.Image.Definition;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Catalog;

/// <summary>
/// The JSON form of a <see cref="ResolvedImage"/> that the catalog and lock files share: each package is its full
/// index record (so the image can be assembled again without an index) beside its name, version, `C:` checksum,
/// size and repository for a reader. Properties are written in one fixed order.
/// </summary>
internal static class ResolvedImageJson
{
    public static void Write(Utf8JsonWriter writer, ResolvedImage image)
    {
        writer.WriteStartObject();
        writer.WriteString("name", image.Name);
        writer.WriteString("arch", image.Arch);
        writer.WriteNumber("apkTools", (int)image.ApkTools);
        Strings(writer, "world", image.World);
        Strings(writer, "repositories", image.Repositories);
        Strings(writer, "indexSigners", image.IndexSigners);
        writer.WriteStartArray("packages");
        foreach (var package in image.Packages)
        {
            writer.WriteStartObject();
            writer.WriteString("name", package.Name);
            writer.WriteString("version", package.Version);
            writer.WriteString("checksum", package.Checksum?.ToString());
            writer.WriteNumber("size", package.Size);
            writer.WriteString("repository", package.Repository);
            writer.WriteString("record", string.Concat(package.Fields.Select(f => $"{f.Key}:{f.Value}\n")));
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        if (!ImageSettingsJson.IsNone(image.Settings))
            ImageSettingsJson.Write(writer, "settings", image.Settings);
        writer.WriteEndObject();
    }

    /// <summary>Reads one image; <paramref name="source"/> names the file in errors.</summary>
    public static ResolvedImage Read(JsonElement image, string source)
    {
        var packages = new List<ApkIndexEntry>();
        foreach (var package in Array(image, "packages", source))
        {
            var repository = Text(package, "repository", source);
            var entry = ApkIndexText.Parse(new StringReader(Text(package, "record", source)), repository, source).SingleOrDefault()
                ?? throw new FormatException($"{source}: a package record is empty");
            if (package.TryGetProperty("checksum", out var checksum) && checksum.GetString() is { } given && given != entry.Checksum?.ToString())
                throw new FormatException($"{source}: {entry}: checksum {given} does not match its record's C: {entry.Checksum}");
            packages.Add(entry);
        }
        return new ResolvedImage(Text(image, "name", source), Text(image, "arch", source), Strings(image, "world", source), packages,
            Strings(image, "repositories", source), Strings(image, "indexSigners", source))
        {
            ApkTools = Generation(image, source),
            Settings = image.TryGetProperty("settings", out var settings) ? ImageSettingsJson.Read(settings, source) : ImageSettings.None,
        };
    }

    /// <summary>`apkTools` (2 or 3); records written before it existed are 2, which they were built as.</summary>
    private static ApkToolsGeneration Generation(JsonElement image, string source)
    {
        if (!image.TryGetProperty("apkTools", out var value))
            return ApkToolsGeneration.V2;
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number is 2 or 3
            ? (ApkToolsGeneration)number
            : throw new FormatException($"{source}: 'apkTools' must be 2 or 3");
    }

    private static void Strings(Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static List<string> Strings(JsonElement element, string name, string source) =>
        [.. Array(element, name, source).Select(e => e.GetString() ?? throw new FormatException($"{source}: '{name}' holds a null"))];

    private static JsonElement.ArrayEnumerator Array(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray()
            : throw new FormatException($"{source}: '{name}' is missing or not a list");

    private static string Text(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"{source}: '{name}' is missing or not a string");
}
