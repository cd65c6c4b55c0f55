using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Index;

namespace Pkg2d.Fetch;

/// <summary>
/// The download cache: `packages/&lt;C: key&gt;.apk` holds only packages that passed verification (they are written
/// to a temp file beside and renamed into place), `indexes/` holds the last good copy of each remote index.
/// </summary>
public sealed class PackageCache
{
    public PackageCache(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(PackagesDir);
        Directory.CreateDirectory(IndexesDir);
        Directory.CreateDirectory(SnapshotsDir);
        RemoveStaleTempFiles(PackagesDir);
        RemoveStaleTempFiles(IndexesDir);
        RemoveStaleTempFiles(SnapshotsDir);
    }

    public string Root { get; }

    public string PackagesDir => Path.Combine(Root, "packages");

    public string IndexesDir => Path.Combine(Root, "indexes");

    /// <summary>Parsed, verified indexes (see IndexSnapshot), apart from the index copies so those stay one file each.</summary>
    public string SnapshotsDir => Path.Combine(IndexesDir, "snapshots");

    /// <summary>`$XDG_CACHE_HOME/pkg2d`, else `~/.cache/pkg2d`; `/var/cache/pkg2d` for root.</summary>
    public static string DefaultDirectory()
    {
        if (Environment.IsPrivilegedProcess)
            return "/var/cache/pkg2d";
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
            return Path.Combine(xdg, "pkg2d");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "pkg2d");
    }

    /// <summary>Where a package is cached, keyed by its index checksum (two builds of one name-version never collide).</summary>
    public string PackagePath(ApkIndexEntry entry) =>
        Path.Combine(PackagesDir, KeyOf(entry) + ".apk");

    /// <summary>Where the copy of a remote index is kept, by a hash of its URL.</summary>
    public string IndexPath(string indexLocation)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(indexLocation)))[..24];
        return Path.Combine(IndexesDir, $"{hash}-{Location.Name(indexLocation)}");
    }

    /// <summary>Where the snapshot of an index (remote or local) is kept, named as its cached copy would be.</summary>
    public string IndexSnapshotPath(string indexLocation) =>
        Path.Combine(SnapshotsDir, Path.GetFileName(IndexPath(indexLocation)) + ".snapshot");

    /// <summary>
    /// Deletes the cached package files whose key (see <see cref="PackagePath"/>) is not in <paramref name="keys"/>;
    /// downloads in progress (temp files) are left alone. Returns how many files and bytes went.
    /// </summary>
    public (int Files, long Bytes) RemovePackagesExcept(IReadOnlySet<string> keys)
    {
        var (files, bytes) = (0, 0L);
        if (!Directory.Exists(PackagesDir))
            return (0, 0);
        foreach (var file in new DirectoryInfo(PackagesDir).EnumerateFiles("*.apk"))
        {
            if (file.Name.StartsWith(".tmp-", StringComparison.Ordinal) || keys.Contains(Path.GetFileNameWithoutExtension(file.Name)))
                continue;
            var length = file.Length;
            if (TryDelete(file))
                (files, bytes) = (files + 1, bytes + length);
        }
        return (files, bytes);
    }

    /// <summary>Deletes the kept copies and snapshots of every index but those of <paramref name="locations"/>. Returns how many files went.</summary>
    public int RemoveIndexesExcept(IEnumerable<string> locations)
    {
        var kept = locations.SelectMany(l => new[] { IndexPath(l), IndexSnapshotPath(l) }).ToHashSet(StringComparer.Ordinal);
        var removed = 0;
        foreach (var file in new[] { IndexesDir, SnapshotsDir }.Where(Directory.Exists).SelectMany(d => new DirectoryInfo(d).EnumerateFiles()))
        {
            if (!file.Name.StartsWith(".tmp-", StringComparison.Ordinal) && !kept.Contains(file.FullName) && TryDelete(file))
                removed++;
        }
        return removed;
    }

    private static bool TryDelete(FileInfo file)
    {
        try
        {
            file.Delete();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A fresh temp file name in <paramref name="folder"/>, on the same file system as its final place.</summary>
    public static string TempPath(string folder, string stem) =>
        Path.Combine(folder, $".tmp-{stem}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}");

    // Left by a process that was killed mid-download; a day is far longer than any download still running.
    private static void RemoveStaleTempFiles(string folder)
    {
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles(".tmp-*"))
        {
            if (file.LastWriteTimeUtc < DateTime.UtcNow.AddDays(-1))
                file.Delete();
        }
    }

    internal static string KeyOf(ApkIndexEntry entry) =>
        entry.Checksum?.Key
        ?? throw new RepositoryException($"package {entry} in {entry.Repository} has no C: checksum, so it cannot be verified");
}
