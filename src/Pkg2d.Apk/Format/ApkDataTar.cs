using System.Formats.Tar;

namespace Pkg2d.Apk.Format;

/// <summary>One entry of a package's data tar, with its path normalised (no leading `./` or `/`, no trailing `/`).</summary>
public sealed class ApkDataEntry
{
    internal ApkDataEntry(TarEntry entry, string path, string? linkTarget, string? sha1)
    {
        Name = entry.Name;
        Path = path;
        Type = entry.EntryType;
        Mode = entry.Mode;
        Uid = entry.Uid;
        Gid = entry.Gid;
        UserName = entry is PosixTarEntry posix ? posix.UserName : "";
        GroupName = entry is PosixTarEntry p ? p.GroupName : "";
        ModificationTime = entry.ModificationTime;
        Size = entry.Length;
        LinkTarget = linkTarget;
        Sha1 = sha1;
        Content = entry.DataStream;
        if (entry is PosixTarEntry { EntryType: TarEntryType.CharacterDevice or TarEntryType.BlockDevice } device)
            (DeviceMajor, DeviceMinor) = (device.DeviceMajor, device.DeviceMinor);
    }

    /// <summary>The entry name exactly as stored in the tar.</summary>
    public string Name { get; }

    public string Path { get; }

    public TarEntryType Type { get; }

    /// <summary>Permission bits, including setuid, setgid and sticky.</summary>
    public UnixFileMode Mode { get; }

    public int Uid { get; }
    public int Gid { get; }
    public string UserName { get; }
    public string GroupName { get; }
    public DateTimeOffset ModificationTime { get; }
    public long Size { get; }
    public int DeviceMajor { get; }
    public int DeviceMinor { get; }

    /// <summary>Symlink target as stored; for hard links, the normalised path of the linked entry.</summary>
    public string? LinkTarget { get; }

    /// <summary>Hex SHA-1 from the `APK-TOOLS.checksum.SHA1` PAX record (of the content, or of a symlink's target); null when absent.</summary>
    public string? Sha1 { get; }

    /// <summary>The content of a regular file, readable until the walk moves on; null for other types.</summary>
    public Stream? Content { get; }

    public bool IsRegularFile => Type is TarEntryType.RegularFile or TarEntryType.V7RegularFile;

    public override string ToString() => Path;
}

/// <summary>
/// A streaming walk over a package's decompressed data tar (GNU, ustar or PAX headers). Each entry's content must be
/// consumed before moving to the next one.
/// </summary>
public static class ApkDataTar
{
    public const string Sha1PaxKey = "APK-TOOLS.checksum.SHA1";

    /// <summary>Yields every entry except the archive root itself; <paramref name="source"/> names the package in errors.</summary>
    public static IEnumerable<ApkDataEntry> Read(Stream dataTar, string source)
    {
        using var tar = new TarReader(new TarHeaderGuard(dataTar, source));
        while (TarEntries.Next(tar, source, "data tar") is { } entry)
        {
            var path = Normalize(entry.Name, source);
            if (path.Length == 0)
                continue;
            var linkTarget = entry.EntryType switch
            {
                TarEntryType.HardLink => Normalize(entry.LinkName, source),
                TarEntryType.SymbolicLink => entry.LinkName,
                _ => null,
            };
            string? sha1 = null;
            if (entry is PaxTarEntry pax && pax.ExtendedAttributes.TryGetValue(Sha1PaxKey, out var value))
                sha1 = value.ToLowerInvariant();
            yield return new ApkDataEntry(entry, path, linkTarget, sha1);
        }
    }

    /// <summary>`./usr/bin/` -> `usr/bin`; rejects `..` components, which would escape the image root.</summary>
    public static string Normalize(string name, string source)
    {
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".").ToArray();
        if (parts.Contains(".."))
            throw new ApkFormatException($"{source}: data tar path '{name}' leaves the package root");
        return string.Join('/', parts);
    }
}
