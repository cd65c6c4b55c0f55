using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Pkg2d.Oci;

namespace Pkg2d.Image.Packages;

/// <summary>
/// The persistent metadata cache: one JSON file of <see cref="PackageFacts"/> per package build, keyed by its `C:`
/// checksum, so an image whose packages were seen before can be described (manifest, config, top layer) without
/// downloading anything. Files are written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public sealed partial class PackageFactsCache(string cacheDir)
{
    /// <summary>Bumped whenever the facts' shape or meaning changes, so old entries are simply not found.</summary>
    private const string Schema = "facts-v3";

    public string Directory { get; } = Path.Combine(cacheDir, Schema);

    public PackageFacts? TryGet(string key) => Read(key, FactsJson.Default.PackageFacts);

    public void Put(PackageFacts facts) => Write(facts.Key, facts, FactsJson.Default.PackageFacts);

    /// <summary>The digests of a derived layer (see DerivedLayer), which cost a pass over its packages to learn.</summary>
    public LayerDigests? TryGetDerived(string key) =>
        Read(key, FactsJson.Default.DerivedFacts) is { } derived ? new LayerDigests(Digest.Parse(derived.Digest), derived.Size, Digest.Parse(derived.Digest)) : null;

    public void PutDerived(string key, LayerDigests digests) => Write(key, new DerivedFacts(digests.Digest.ToString(), digests.Size), FactsJson.Default.DerivedFacts);

    private sealed record DerivedFacts(string Digest, long Size);

    /// <summary>
    /// Deletes the facts of every package not in <paramref name="packageKeys"/> and every derived layer record whose
    /// layer <paramref name="layerReferenced"/> says no image has (garbage collection). Returns how many went.
    /// </summary>
    public int RemoveUnreferenced(IReadOnlySet<string> packageKeys, Func<Digest, bool> layerReferenced)
    {
        if (!System.IO.Directory.Exists(Directory))
            return 0;
        var removed = 0;
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            var key = Path.GetFileNameWithoutExtension(path);
            if (packageKeys.Contains(key))
                continue;
            // Package facts read as a derived record have no digest, so they go; so does anything unreadable.
            DerivedFacts? derived = null;
            try
            {
                using var file = File.OpenRead(path);
                derived = JsonSerializer.Deserialize(file, FactsJson.Default.DerivedFacts);
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
            }
            if (derived?.Digest is { } text && Digest.TryParse(text, out var digest) && layerReferenced(digest))
                continue;
            try
            {
                File.Delete(path);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    /// <summary>Generated (de)serializers, so the cache needs no reflection; the shape matches what reflection wrote.</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(FileTypeJson)])]
    [JsonSerializable(typeof(PackageFacts))]
    [JsonSerializable(typeof(DerivedFacts))]
    private sealed partial class FactsJson : JsonSerializerContext;

    private sealed class FileTypeJson() : JsonStringEnumConverter<PackageFileType>(JsonNamingPolicy.CamelCase);

    private T? Read<T>(string key, JsonTypeInfo<T> type) where T : class
    {
        var path = PathOf(key);
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize(file, type);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
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

    private void Write<T>(string key, T value, JsonTypeInfo<T> type)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(key);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                JsonSerializer.Serialize(file, value, type);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string PathOf(string key) => Path.Combine(Directory, key + ".json");
}
