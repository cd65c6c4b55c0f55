using System.Text;
using Pkg2d.Image.Packages;

namespace Pkg2d.Image.TopLayer;

/// <summary>
/// The order apk-tools 3 writes a package's directories (`F:`) in: the order the package first mentions them, kept
/// in an array apk searches by bisection over its sorted part, which it sorts (in byte order) once more than 32
/// directories were appended out of order (apk_db_diri_get and apk_db_diri_bsearch). abuild's tars are sorted, so
/// real packages keep their order; a hand-made tar may not.
/// </summary>
internal static class DirectoryOrder
{
    private const int MaxUnsorted = 32;

    public static List<InstalledDatabase.DirectoryGroup> Apk3(IReadOnlyList<PackageFile> files)
    {
        var directories = new List<InstalledDatabase.DirectoryGroup>();
        var unsorted = 0;
        InstalledDatabase.DirectoryGroup? current = null;

        InstalledDatabase.DirectoryGroup? Search(string path)
        {
            if (unsorted > MaxUnsorted)
            {
                directories.Sort((a, b) => ByteOrder.Instance.Compare(Bytes(a.Path), Bytes(b.Path)));
                unsorted = 0;
            }
            return directories.FirstOrDefault(d => d.Path == path);
        }

        InstalledDatabase.DirectoryGroup Get(string path)
        {
            var order = 1;
            if (current is not null)
            {
                order = Compare(path, current.Path);
                if (order == 0)
                    return current;
            }
            if (Search(path) is not { } found)
            {
                if (unsorted > 0)
                    order = -1;
                else if (directories.Count > 0 && current != directories[^1])
                    order = Compare(path, directories[^1].Path);
                if (order < 0)
                    unsorted++;
                found = new InstalledDatabase.DirectoryGroup(path);
                directories.Add(found);
            }
            return current = found;
        }

        InstalledDatabase.DirectoryGroup Query(string path)
        {
            if (current?.Path == path)
                return current;
            // A file whose directory has no entry of its own: apk refuses it; it is listed like one that had.
            return current = Search(path) ?? Get(path);
        }

        foreach (var file in files)
        {
            if (file.Type == PackageFileType.Directory)
            {
                if (file.Path.Length > 0)
                    Get(file.Path).Entry ??= file;
                continue;
            }
            var slash = file.Path.LastIndexOf('/');
            var directory = slash < 0 ? "" : file.Path[..slash];
            (slash < 0 && Search("") is null ? Get("") : Query(directory)).Files.Add(file);
        }
        return directories;
    }

    private static int Compare(string a, string b) => ByteOrder.Instance.Compare(Bytes(a), Bytes(b));

    private static byte[] Bytes(string path) => Encoding.UTF8.GetBytes(path);
}
