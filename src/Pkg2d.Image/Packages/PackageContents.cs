using System.IO.Compression;
using Pkg2d.Apk.Format;

namespace Pkg2d.Image.Packages;

/// <summary>
/// Reads single files out of packages' data members, for install scripts that read what a package shipped (a
/// config file they edit, a template they copy). Each file is read once per build; the package bytes come from
/// where the layers come from (the cache, or a download verified against the package's digest).
/// </summary>
public sealed class PackageContents(Func<PackageFacts, Stream> openData)
{
    private readonly Dictionary<(string Key, string Path), byte[]?> _read = [];

    /// <summary>The content of the regular file at <paramref name="path"/> in the package's data tar, or null when it has none.</summary>
    public byte[]? Read(PackageFacts package, string path)
    {
        if (_read.TryGetValue((package.Key, path), out var known))
            return known;
        byte[]? content = null;
        using (var data = openData(package))
        using (var tar = new GZipStream(data, CompressionMode.Decompress))
        {
            foreach (var entry in ApkDataTar.Read(tar, package.ToString()))
            {
                if (entry.Path != path || !entry.IsRegularFile || entry.Content is null)
                    continue;
                using var buffer = new MemoryStream();
                entry.Content.CopyTo(buffer);
                content = buffer.ToArray();
                break;
            }
        }
        _read[(package.Key, path)] = content;
        return content;
    }
}
