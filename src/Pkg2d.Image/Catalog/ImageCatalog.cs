using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Pkg2d.Apk.Index;

namespace Pkg2d.Image.Catalog;

/// <summary>
/// Resolved images kept on disk, so a daemon that restarts serves the images it served before without reading a
/// repository index: each record holds the resolved packages' full index records. Keyed by name, arch and world;
/// written to a temporary name and renamed.
/// </summary>
public sealed class ImageCatalog(string directory)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public string Directory { get; } = directory;

    public ResolvedImage? TryGet(string name, string arch, IReadOnlyList<string> world)
    {
        var path = PathOf(name, arch, world);
        Record? record;
        try
        {
            using var file = File.OpenRead(path);
            record = JsonSerializer.Deserialize<Record>(file, Options);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (JsonException)
        {
            File.Delete(path);
            return null;
        }
        return record is null ? null : ToImage(record, path);
    }

    /// <summary>Every image kept for an arch, in name order; an unreadable entry is reported and skipped.</summary>
    public IReadOnlyList<ResolvedImage> All(string arch, Action<string, string> skipped)
    {
        if (!System.IO.Directory.Exists(Directory))
            return [];
        var images = new List<ResolvedImage>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize<Record>(File.ReadAllText(path), Options) is { } record && record.Arch == arch)
                    images.Add(ToImage(record, path));
            }
            catch (Exception e) when (e is JsonException or IOException or FormatException or Apk.ApkFormatException or InvalidOperationException)
            {
                skipped(path, e.Message);
            }
        }
        return [.. images.OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    public void Put(ResolvedImage image)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var record = new Record(image.Name, image.Arch, image.World,
            [.. image.Packages.Select(p => new PackageRecord(p.Repository, string.Concat(p.Fields.Select(f => $"{f.Key}:{f.Value}\n"))))],
            image.Repositories, image.IndexSigners);
        var path = PathOf(image.Name, image.Arch, image.World);
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temp, JsonSerializer.Serialize(record, Options));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static ResolvedImage ToImage(Record record, string path) => new(
        record.Name, record.Arch, record.World,
        [.. record.Packages.Select(p => ApkIndexText.Parse(new StringReader(p.Record), p.Repository, path).Single())],
        record.Repositories, record.IndexSigners);

    private string PathOf(string name, string arch, IReadOnlyList<string> world) => Path.Combine(Directory,
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{arch}\n{string.Join('\n', world)}")))[..32] + ".json");

    private sealed record Record(
        string Name, string Arch, IReadOnlyList<string> World, IReadOnlyList<PackageRecord> Packages,
        IReadOnlyList<string> Repositories, IReadOnlyList<string> IndexSigners);

    private sealed record PackageRecord(string Repository, string Record);
}
