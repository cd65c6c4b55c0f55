using System.Text.Json;
using Pkg2d.Image.Definition;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Catalog;

/// <summary>
/// A lock: per image and arch, the world and exactly the packages it resolved to (name, version, `C:` checksum,
/// size, repository and the full index record), with the repositories and the keys that signed their indexes.
/// Building from a lock reads no index: the packages are fetched by name and version and verified by their `C:`
/// checksums. Written deterministically: images sorted by name and arch, packages in install order, fixed layout.
/// </summary>
public sealed class LockFile
{
    public const int FormatVersion = 1;

    public LockFile(IEnumerable<ResolvedImage> images) =>
        Images = [.. images.OrderBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Arch, StringComparer.Ordinal)];

    public IReadOnlyList<ResolvedImage> Images { get; }

    public static LockFile Read(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (!root.TryGetProperty("lockVersion", out var version) || version.ValueKind != JsonValueKind.Number || version.GetInt32() != FormatVersion)
                throw new FormatException($"lock file {path}: 'lockVersion' must be {FormatVersion}");
            if (!root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
                throw new FormatException($"lock file {path}: 'images' is missing or not a list");
            return new LockFile(images.EnumerateArray().Select(i => ResolvedImageJson.Read(i, "lock file " + path)));
        }
        catch (JsonException e)
        {
            throw new FormatException($"lock file {path} is not valid JSON: {e.Message}", e);
        }
    }

    public void Write(string path) => AtomicFile.Write(path, writer =>
    {
        writer.WriteStartObject();
        writer.WriteNumber("lockVersion", FormatVersion);
        writer.WriteStartArray("images");
        foreach (var image in Images)
            ResolvedImageJson.Write(writer, image);
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    /// <summary>
    /// The locked image; an image or arch the lock lacks, a world or settings that differ from the lock's, or an
    /// apk-tools generation asked for (`--apk-tools`) other than the lock's, is an error.
    /// </summary>
    public ResolvedImage Find(string name, string arch, IReadOnlyList<string> world, ApkToolsGeneration? apkTools, ImageSettings? settings = null)
    {
        var image = Images.FirstOrDefault(i => i.Name == name && i.Arch == arch)
            ?? throw new ArgumentException($"the lock has no image '{name}' for {arch}: run pkg2d lock for it");
        if (!image.World.SequenceEqual(world))
            throw new ArgumentException(
                $"image '{name}' ({arch}) asks for world {string.Join(',', world)}, but the lock was made for {string.Join(',', image.World)}: run pkg2d lock again");
        if (apkTools is { } asked && asked != image.ApkTools)
            throw new ArgumentException(
                $"image '{name}' ({arch}) asks for apk-tools {(int)asked}, but the lock was made for apk-tools {(int)image.ApkTools}: run pkg2d lock again");
        if (settings is not null && ImageSettingsJson.Text(settings) != ImageSettingsJson.Text(image.Settings))
            throw new ArgumentException(
                $"image '{name}' ({arch}) asks for settings {Settings(settings)}, but the lock was made with {Settings(image.Settings)}: run pkg2d lock again");
        return image;
    }

    private static string Settings(ImageSettings settings) => ImageSettingsJson.IsNone(settings) ? "none" : ImageSettingsJson.Text(settings)[12..^1];
}
