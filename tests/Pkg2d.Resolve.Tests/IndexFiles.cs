using System.Formats.Tar;
using System.IO.Compression;
using Pkg2d.Apk.Index;

namespace Pkg2d.Resolve.Tests;

/// <summary>Reads the APKINDEX member of a real APKINDEX.tar.gz (signature tar and index tar are concatenated gzip members).</summary>
internal static class IndexFiles
{
    public static List<ApkIndexEntry> Load(string path, string repository)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != "APKINDEX" || entry.DataStream is null)
                continue;
            using var reader = new StreamReader(entry.DataStream);
            return ApkIndexText.Parse(reader, repository, path);
        }
        throw new InvalidDataException($"{path}: no APKINDEX member");
    }

    public static List<ApkIndexEntry> Parse(string text, string repository = "repo") =>
        ApkIndexText.Parse(new StringReader(text), repository, repository);
}
