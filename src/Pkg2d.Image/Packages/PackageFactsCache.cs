using System.Text.Json;
using System.Text.Json.Serialization;
using Pkg2d.Oci;

namespace Pkg2d.Image.Packages;

/// <summary>
/// The persistent metadata cache: one JSON file of <see cref="PackageFacts"/> per package build, keyed by its `C:`
/// checksum, so an image whose packages were seen before can be described (manifest, config, top layer) without
/// downloading anything. Files are written to a temporary name and renamed, so a reader never sees half a file.
/// </summary>
public sealed class PackageFactsCache(string cacheDir)
{
    /// <summary>Bumped whenever the facts' shape or meaning changes, so old entries are simply not found.</summary>
    private const string Schema = "facts-v2";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public string Directory { get; } = Path.Combine(cacheDir, Schema);

    public PackageFacts? TryGet(string key) => Read<PackageFacts>(key);

    public void Put(PackageFacts facts) => Write(facts.Key, facts);

    /// <summary>The digests of a derived layer (see DerivedLayer), which cost a pass over its packages to learn.</summary>
    public LayerDigests? TryGetDerived(string key) =>
        Read<DerivedFacts>(key) is { } derived ? new LayerDigests(Digest.Parse(derived.Digest), derived.Size, Digest.Parse(derived.Digest)) : null;

    public void PutDerived(string key, LayerDigests digests) => Write(key, new DerivedFacts(digests.Digest.ToString(), digests.Size));

    private sealed record DerivedFacts(string Digest, long Size);

    private T? Read<T>(string key) where T : class
    {
        var path = PathOf(key);
        try
        {
            using var file = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(file, Options);
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

    private void Write<T>(string key, T value)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(key);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                JsonSerializer.Serialize(file, value, Options);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string PathOf(string key) => Path.Combine(Directory, key + ".json");
}
