using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Pkg2d.Testing;

public enum RootEntryType
{
    File,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// <summary>
/// One node of a <see cref="RootTree"/>, as lstat sees it. <see cref="Mode"/> holds the permission bits with
/// setuid, setgid and sticky (07777). <see cref="Content"/> is the sha256 (hex) of a file, the target of a symlink,
/// `major:minor` of a device node and empty otherwise.
/// </summary>
public sealed record RootEntry(RootEntryType Type, int Mode, int Uid, int Gid, string Content)
{
    public override string ToString() => $"{Type} {Convert.ToString(Mode, 8).PadLeft(4, '0')} {Uid}:{Gid}{(Content.Length > 0 ? " " + Content : "")}";
}

/// <summary>
/// A directory tree read without following symlinks (an apk-made root, or `BUNDLE/rootfs` of `umoci unpack`):
/// every path below the top, relative and `/`-separated, in ordinal order. The top folder itself is not an entry.
/// </summary>
public sealed class RootTree
{
    private RootTree(string root, SortedDictionary<string, RootEntry> entries)
    {
        Root = root;
        Entries = entries;
    }

    /// <summary>The host folder that was read (kept so a comparison can look into files whose hashes differ).</summary>
    public string Root { get; }

    public IReadOnlyDictionary<string, RootEntry> Entries { get; }

    public RootEntry this[string path] => Entries[path];

    public static RootTree Read(string root)
    {
        var entries = new SortedDictionary<string, RootEntry>(StringComparer.Ordinal);
        Walk(root, "", entries);
        return new RootTree(root, entries);
    }

    private static void Walk(string root, string relative, SortedDictionary<string, RootEntry> entries)
    {
        foreach (var hostPath in Directory.EnumerateFileSystemEntries(relative.Length == 0 ? root : Path.Combine(root, relative)))
        {
            var path = relative.Length == 0 ? Path.GetFileName(hostPath) : relative + "/" + Path.GetFileName(hostPath);
            var entry = Stat(hostPath);
            entries.Add(path, entry);
            if (entry.Type == RootEntryType.Directory)
                Walk(root, path, entries);
        }
    }

    private static RootEntry Stat(string hostPath)
    {
        var buffer = new byte[256];
        if (statx(AtFdCwd, hostPath, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
            throw new IOException($"statx {hostPath}: errno {Marshal.GetLastPInvokeError()}");
        // struct statx is the same on every architecture (include/uapi/linux/stat.h), unlike struct stat.
        var uid = (int)MemoryMarshal.Read<uint>(buffer.AsSpan(20));
        var gid = (int)MemoryMarshal.Read<uint>(buffer.AsSpan(24));
        var mode = MemoryMarshal.Read<ushort>(buffer.AsSpan(28));
        var device = $"{MemoryMarshal.Read<uint>(buffer.AsSpan(128))}:{MemoryMarshal.Read<uint>(buffer.AsSpan(132))}";
        var (type, content) = (mode & 0xF000) switch
        {
            0x8000 => (RootEntryType.File, Sha256(hostPath)),
            0x4000 => (RootEntryType.Directory, ""),
            0xA000 => (RootEntryType.Symlink, new FileInfo(hostPath).LinkTarget ?? ""),
            0x2000 => (RootEntryType.CharDevice, device),
            0x6000 => (RootEntryType.BlockDevice, device),
            0x1000 => (RootEntryType.Fifo, ""),
            0xC000 => (RootEntryType.Socket, ""),
            var other => throw new IOException($"{hostPath}: unknown file type {other:x}"),
        };
        return new RootEntry(type, mode & 0xFFF, uid, gid, content);
    }

    private static string Sha256(string hostPath)
    {
        using var file = File.OpenRead(hostPath);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7ff;

    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, string path, int flags, uint mask, byte[] buffer);
}
