using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pkg2d.Image.Catalog;

/// <summary>
/// Resolved images kept on disk, so a daemon that restarts serves the images it served before without reading a
/// repository index: each record holds the resolved packages' full index records. Keyed by name, arch and world;
/// written to a temporary name and renamed. `export` keeps its records (in another folder) with a key of the
/// resolution's inputs too, so that they are reused only while those are unchanged.
/// </summary>
public sealed class ImageCatalog(string directory)
{
    public string Directory { get; } = directory;

    public ResolvedImage? TryGet(string name, string arch, IReadOnlyList<string> world) =>
        Read(PathOf(name, arch, world), (record, path) => ResolvedImageJson.Read(record, path));

    /// <summary>
    /// An image kept by <see cref="Put(ResolvedImage, string)"/> with exactly these <paramref name="inputs"/> (a key of
    /// everything the resolution read), or null: a record from other inputs is stale, a damaged one is never trusted.
    /// </summary>
    public ResolvedImage? TryGet(string name, string arch, IReadOnlyList<string> world, string inputs) =>
        Read(PathOf(name, arch, world), (root, path) =>
        {
            if (!root.TryGetProperty("inputs", out var kept) || kept.ValueKind != JsonValueKind.String || kept.GetString() != inputs
                || !root.TryGetProperty("image", out var record))
                return null;
            var image = ResolvedImageJson.Read(record, path);
            return image.Name == name && image.Arch == arch && image.World.SequenceEqual(world) ? image : null;
        });

    /// <summary>Keeps an image with the key of its resolution's inputs, replacing what was kept for its name, arch and world.</summary>
    public void Put(ResolvedImage image, string inputs) => Write(image, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("inputs", inputs);
        writer.WritePropertyName("image");
        ResolvedImageJson.Write(writer, image);
        writer.WriteEndObject();
    });

    /// <summary>Every image kept for an arch, in name order; an unreadable entry is reported and skipped.</summary>
    public IReadOnlyList<ResolvedImage> All(string arch, Action<string, string> skipped)
    {
        var images = new List<ResolvedImage>();
        ReadEach(Directory, (root, path) =>
        {
            var image = ResolvedImageJson.Read(root, path);
            if (image.Arch == arch)
                images.Add(image);
        }, skipped, deleteDamaged: false);
        return [.. images.OrderBy(i => i.Name, StringComparer.Ordinal)];
    }

    public void Put(ResolvedImage image) => Write(image, writer => ResolvedImageJson.Write(writer, image));

    /// <summary>
    /// Keeps an image that was replaced or forgotten, with the digest of its manifest, until <paramref name="until"/>:
    /// a daemon that restarts meanwhile serves it by digest again. One record per name, arch, world and manifest.
    /// </summary>
    public void Retain(ResolvedImage image, string manifest, DateTimeOffset until)
    {
        System.IO.Directory.CreateDirectory(RetainedDirectory);
        AtomicFile.Write(RetainedPathOf(image, manifest), writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("manifest", manifest);
            writer.WriteNumber("until", until.ToUnixTimeSeconds());
            writer.WritePropertyName("image");
            ResolvedImageJson.Write(writer, image);
            writer.WriteEndObject();
        });
    }

    /// <summary>The retained images of an arch with their manifest digests and times; unreadable records are reported and deleted.</summary>
    public IReadOnlyList<(ResolvedImage Image, string Manifest, DateTimeOffset Until)> Retained(string arch, Action<string, string> skipped)
    {
        var retained = new List<(ResolvedImage Image, string Manifest, DateTimeOffset Until)>();
        ReadEach(RetainedDirectory, (root, path) =>
        {
            var image = ResolvedImageJson.Read(root.GetProperty("image"), path);
            if (image.Arch == arch)
                retained.Add((image, root.GetProperty("manifest").GetString() ?? throw new FormatException("manifest is null"),
                    DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("until").GetInt64())));
        }, skipped, deleteDamaged: true);
        return [.. retained.OrderBy(r => r.Until).ThenBy(r => r.Image.Name, StringComparer.Ordinal)];
    }

    /// <summary>Forgets a retained image; one not kept is no error.</summary>
    public void Release(ResolvedImage image, string manifest)
    {
        if (System.IO.Directory.Exists(RetainedDirectory))
            File.Delete(RetainedPathOf(image, manifest));
    }

    /// <summary>Deletes the records not written since <paramref name="before"/> (a cache of resolutions that are cheap to make again).</summary>
    public int RemoveOlderThan(DateTimeOffset before)
    {
        if (!System.IO.Directory.Exists(Directory))
            return 0;
        var removed = 0;
        foreach (var file in new DirectoryInfo(Directory).EnumerateFiles("*.json"))
        {
            if (file.LastWriteTimeUtc < before.UtcDateTime)
            {
                file.Delete();
                removed++;
            }
        }
        return removed;
    }

    /// <summary>Forgets an image; one not kept is no error.</summary>
    public void Remove(string name, string arch, IReadOnlyList<string> world)
    {
        if (System.IO.Directory.Exists(Directory))
            File.Delete(PathOf(name, arch, world));
    }

    /// <summary>One kept record, or null when there is none; a damaged record is deleted, so it is resolved again, never trusted.</summary>
    private static ResolvedImage? Read(string path, Func<JsonElement, string, ResolvedImage?> read)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return read(document.RootElement, path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (IsDamaged(e))
        {
            File.Delete(path);
            return null;
        }
    }

    /// <summary>
    /// Reads every record of a folder; one that cannot be read or is damaged is reported to <paramref name="skipped"/>,
    /// and deleted with <paramref name="deleteDamaged"/>.
    /// </summary>
    private static void ReadEach(string folder, Action<JsonElement, string> read, Action<string, string> skipped, bool deleteDamaged)
    {
        if (!System.IO.Directory.Exists(folder))
            return;
        foreach (var path in System.IO.Directory.EnumerateFiles(folder, "*.json"))
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                read(document.RootElement, path);
            }
            catch (Exception e) when (e is IOException || IsDamaged(e))
            {
                skipped(path, e.Message);
                if (deleteDamaged)
                    File.Delete(path);
            }
        }
    }

    /// <summary>What reading a damaged record throws (bad JSON, a bad index record, a missing or impossible value).</summary>
    private static bool IsDamaged(Exception e) =>
        e is JsonException or FormatException or InvalidOperationException or Apk.ApkFormatException or KeyNotFoundException
            or ArgumentOutOfRangeException;

    private void Write(ResolvedImage image, Action<Utf8JsonWriter> write)
    {
        System.IO.Directory.CreateDirectory(Directory);
        AtomicFile.Write(PathOf(image.Name, image.Arch, image.World), write);
    }

    private string PathOf(string name, string arch, IReadOnlyList<string> world) => Path.Combine(Directory, KeyOf(name, arch, world) + ".json");

    private string RetainedDirectory => Path.Combine(Directory, "retained");

    private string RetainedPathOf(ResolvedImage image, string manifest) =>
        Path.Combine(RetainedDirectory, $"{KeyOf(image.Name, image.Arch, image.World)}-{manifest.Replace(':', '-')}.json");

    private static string KeyOf(string name, string arch, IReadOnlyList<string> world) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{name}\n{arch}\n{string.Join('\n', world)}")))[..32];
}

/// <summary>JSON written to a temporary name beside its file and renamed, so a reader never sees half of it.</summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<Utf8JsonWriter> write)
    {
        var temp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = File.Create(temp))
            using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
            {
                write(writer);
                writer.Flush();
                file.Write("\n"u8);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
