using System.Formats.Tar;

namespace Pkg2d.Image.TopLayer;

/// <summary>
/// Writes a layer tar whose bytes depend only on what is added: ustar headers, one fixed modification time,
/// explicit modes and owners (root unless given). Entries are written in the order they are added.
/// </summary>
public sealed class TarLayerWriter(Stream output, DateTimeOffset modified) : IDisposable
{
    private readonly TarWriter _writer = new(output, TarEntryFormat.Ustar, leaveOpen: true);
    private readonly HashSet<string> _written = new(StringComparer.Ordinal);

    /// <summary>Adds a directory once; adding it again is a no-op, so callers can ensure parents freely.</summary>
    public void AddDirectory(string path, UnixFileMode mode = Directory755, int uid = 0, int gid = 0)
    {
        if (_written.Add(path + "/"))
            _writer.WriteEntry(Entry(TarEntryType.Directory, path + "/", mode, uid, gid));
    }

    public void AddFile(string path, ReadOnlySpan<byte> content, UnixFileMode mode = File644, DateTimeOffset? modifiedAt = null, int uid = 0, int gid = 0)
    {
        Claim(path);
        var entry = Entry(TarEntryType.RegularFile, path, mode, uid, gid);
        if (modifiedAt is { } time)
            entry.ModificationTime = time;
        using var data = new MemoryStream(content.ToArray(), writable: false);
        entry.DataStream = data;
        _writer.WriteEntry(entry);
    }

    public void AddSymlink(string path, string target, int uid = 0, int gid = 0)
    {
        Claim(path);
        var entry = Entry(TarEntryType.SymbolicLink, path, Link777, uid, gid);
        entry.LinkName = target;
        _writer.WriteEntry(entry);
    }

    /// <summary>An OCI whiteout: the path exists in a lower layer but not in this image.</summary>
    public void AddWhiteout(string path)
    {
        var slash = path.LastIndexOf('/');
        AddFile(path[..(slash + 1)] + ".wh." + path[(slash + 1)..], [], File644);
    }

    public void Dispose() => _writer.Dispose();

    public const UnixFileMode Directory755 = File755;
    public const UnixFileMode File644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode File755 = File644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
    private const UnixFileMode Link777 = (UnixFileMode)0x1FF;

    private void Claim(string path)
    {
        if (!_written.Add(path))
            throw new InvalidOperationException($"the top layer would hold '{path}' twice");
    }

    // Unpackers use the numbers; names are written for root only, so they never disagree with the image's accounts.
    private UstarTarEntry Entry(TarEntryType type, string path, UnixFileMode mode, int uid, int gid) => new(type, path)
    {
        ModificationTime = modified,
        Mode = mode,
        Uid = uid,
        Gid = gid,
        UserName = uid == 0 ? "root" : "",
        GroupName = gid == 0 ? "root" : "",
    };
}
