using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pkg2d.Image.Packages;

/// <summary>
/// The persistent metadata cache: one JSON file of <see cref="PackageFacts"/> per package build, keyed by its `C:`
/// checksum, so an image whose packages were seen before can be described (manifest, config, top layer) without
/// downloading anything. Files are written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public sealed class PackageFactsCache(string cacheDir)
{
    /// <summary>Bumped whenever the facts' shape or meaning changes, so old entries are simply not found.</summary>
    private const string Schema = "facts-v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string Directory { get; } = Path.Combine(cacheDir, Schema);

    public PackageFacts? TryGet(string key)
    {
        var path = PathOf(key);
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize<PackageFacts>(file, Options);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            // A damaged entry is relearned from the package, never trusted.
            File.Delete(path);
            return null;
        }
    }

    public void Put(PackageFacts facts)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(facts.Key);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                JsonSerializer.Serialize(file, facts, Options);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string PathOf(string key) => Path.Combine(Directory, key + ".json");
}
