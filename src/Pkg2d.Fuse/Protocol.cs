using System.Runtime.InteropServices;

namespace Pkg2d.Fuse;

// The FUSE kernel protocol (include/uapi/linux/fuse.h), version 7. Layouts are the header's, field for field.

internal enum Opcode : uint
{
    Lookup = 1,
    Forget = 2,
    GetAttr = 3,
    SetAttr = 4,
    ReadLink = 5,
    Symlink = 6,
    Mknod = 8,
    Mkdir = 9,
    Unlink = 10,
    Rmdir = 11,
    Rename = 12,
    Link = 13,
    Open = 14,
    Read = 15,
    Write = 16,
    StatFs = 17,
    Release = 18,
    Fsync = 20,
    SetXattr = 21,
    GetXattr = 22,
    ListXattr = 23,
    RemoveXattr = 24,
    Flush = 25,
    Init = 26,
    OpenDir = 27,
    ReadDir = 28,
    ReleaseDir = 29,
    FsyncDir = 30,
    Access = 34,
    Create = 35,
    Interrupt = 36,
    Destroy = 38,
    Poll = 40,
    NotifyReply = 41,
    BatchForget = 42,
    Fallocate = 43,
    ReadDirPlus = 44,
    Rename2 = 45,
    CopyFileRange = 47,
    Tmpfile = 51,
    CopyFileRange64 = 53,
}

internal static class InitFlags
{
    public const uint AsyncRead = 1u << 0;
    public const uint AutoInvalData = 1u << 12;
    public const uint ParallelDirops = 1u << 18;
    public const uint MaxPages = 1u << 22;
}

internal static class OpenFlags
{
    public const uint DirectIo = 1u << 0;
    public const uint KeepCache = 1u << 1;
}

[StructLayout(LayoutKind.Sequential, Size = 40)]
internal struct InHeader
{
    public uint Length;
    public Opcode Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    public ushort TotalExtLength;
    public ushort Padding;
}

[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct OutHeader
{
    public uint Length;
    public int Error;
    public ulong Unique;
}

[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct InitIn
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
}

[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct InitOut
{
    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
}

[StructLayout(LayoutKind.Sequential, Size = 88)]
internal struct Attr
{
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public uint Rdev;
    public uint BlockSize;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential, Size = 128)]
internal struct EntryOut
{
    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public Attr Attr;
}

[StructLayout(LayoutKind.Sequential, Size = 104)]
internal struct AttrOut
{
    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public Attr Attr;
}

[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct OpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct OpenOut
{
    public ulong Fh;
    public uint OpenFlags;
    public int BackingId;
}

/// <summary>fuse_read_in, also the body of READDIR.</summary>
[StructLayout(LayoutKind.Sequential, Size = 40)]
internal struct ReadIn
{
    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct ReleaseIn
{
    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct ForgetIn
{
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct BatchForgetIn
{
    public uint Count;
    public uint Dummy;
}

[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct ForgetOne
{
    public ulong NodeId;
    public ulong NLookup;
}

[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct InterruptIn
{
    public ulong Unique;
}

/// <summary>fuse_dirent without its name (which follows, padded to 8 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal struct Dirent
{
    public ulong Ino;
    public ulong Offset;
    public uint NameLength;
    public uint Type;
}

[StructLayout(LayoutKind.Sequential, Size = 80)]
internal struct StatFsOut
{
    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public uint BlockSize;
    public uint NameLength;
    public uint FragmentSize;
}

/// <summary>fuse_getxattr_in and fuse_getxattr_out share this layout.</summary>
[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct XattrSize
{
    public uint Size;
    public uint Padding;
}

[StructLayout(LayoutKind.Sequential, Size = 8)]
internal struct AccessIn
{
    public uint Mask;
    public uint Padding;
}
