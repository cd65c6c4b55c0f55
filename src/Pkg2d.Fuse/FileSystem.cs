namespace Pkg2d.Fuse;

/// <summary>
/// A read-only file system served over FUSE, addressed by absolute paths ("/", "/a/b"). Expected failures are
/// errno results, not exceptions; an unexpected exception becomes EIO and is logged. Every method may be called
/// concurrently. A cancelled token means the caller was interrupted (the answer is then EINTR).
/// </summary>
public interface IFuseFileSystem
{
    /// <summary>Attributes of a file or directory; ENOENT when there is nothing at <paramref name="path"/>.
    /// Also answers lookups, so a directory may exist only when asked for by name.</summary>
    ValueTask<FuseResult<FileStat>> GetAttrAsync(string path, CancellationToken cancellationToken);

    /// <summary>The entries of a directory, without "." and "..".</summary>
    ValueTask<FuseResult<IReadOnlyList<DirEntry>>> ReadDirAsync(string path, CancellationToken cancellationToken);

    /// <summary>Opens a file for reading; the handle comes back in every read and in the release.</summary>
    ValueTask<FuseResult<FileHandle>> OpenAsync(string path, CancellationToken cancellationToken);

    /// <summary>Reads at <paramref name="offset"/> into <paramref name="buffer"/> and returns the byte count;
    /// 0 means end of file. A short count is fine: the session asks again for the rest.</summary>
    ValueTask<FuseResult<int>> ReadAsync(string path, FileHandle handle, long offset, Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>The last close of an opened file.</summary>
    ValueTask ReleaseAsync(string path, FileHandle handle) => ValueTask.CompletedTask;
}

public enum FileKind
{
    File,
    Directory,
}

/// <summary>What the kernel may do with a file's page cache, chosen at open.</summary>
public enum PageCache
{
    /// <summary>Dropped at every open: the content is fixed while open but may change between opens.</summary>
    Invalidate,
    /// <summary>Kept across opens (FOPEN_KEEP_CACHE): for immutable content such as blobs named by digest.</summary>
    Keep,
    /// <summary>Not used (FOPEN_DIRECT_IO): every read reaches the file system, for content that changes while open.</summary>
    Bypass,
}

/// <summary>
/// Attributes of a node. <see cref="CacheTimeout"/> is how long the kernel may trust the lookup and the attributes
/// without asking again: long for immutable content, zero for files that change.
/// </summary>
public readonly record struct FileStat
{
    public FileKind Kind { get; init; }
    public long Size { get; init; }
    public UnixFileMode Mode { get; init; }
    public DateTimeOffset ModifiedTime { get; init; }
    public TimeSpan CacheTimeout { get; init; }

    public const UnixFileMode ReadOnlyFile = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public const UnixFileMode ReadOnlyDirectory = ReadOnlyFile
        | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static FileStat File(long size, TimeSpan cacheTimeout, DateTimeOffset? modifiedTime = null, UnixFileMode mode = ReadOnlyFile) =>
        new() { Kind = FileKind.File, Size = size, Mode = mode, ModifiedTime = modifiedTime ?? DateTimeOffset.UnixEpoch, CacheTimeout = cacheTimeout };

    public static FileStat Directory(TimeSpan cacheTimeout, DateTimeOffset? modifiedTime = null, UnixFileMode mode = ReadOnlyDirectory) =>
        new() { Kind = FileKind.Directory, Mode = mode, ModifiedTime = modifiedTime ?? DateTimeOffset.UnixEpoch, CacheTimeout = cacheTimeout };
}

public readonly record struct DirEntry(string Name, FileKind Kind);

/// <summary>An open file: <see cref="Value"/> is the file system's own, <see cref="Cache"/> tells the kernel how to cache it.</summary>
public readonly record struct FileHandle(ulong Value, PageCache Cache = PageCache.Invalidate);

/// <summary>A value or an errno. Converts implicitly from either: <c>return stat;</c> or <c>return Errno.ENOENT;</c>.</summary>
public readonly struct FuseResult<T>
{
    private readonly T? _value;

    public FuseResult(T value)
    {
        _value = value;
        Error = 0;
    }

    private FuseResult(Errno error)
    {
        if (error <= 0)
            throw new ArgumentOutOfRangeException(nameof(error), error, "an error result needs a positive errno");
        _value = default;
        Error = error;
    }

    /// <summary>0 on success.</summary>
    public Errno Error { get; }

    public bool IsOk => Error == 0;

    public T Value => IsOk ? _value! : throw new InvalidOperationException($"the result is an error ({Error})");

    public static implicit operator FuseResult<T>(T value) => new(value);

    public static implicit operator FuseResult<T>(Errno error) => new(error);

    public override string ToString() => IsOk ? $"{_value}" : Error.ToString();
}

/// <summary>Linux errno values a file system answers with.</summary>
public enum Errno
{
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    EFBIG = 27,
    ENOSPC = 28,
    EROFS = 30,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ENODATA = 61,
    EPROTO = 71,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
}
