using System.Collections.Concurrent;
using System.Text;

namespace Pkg2d.Fuse.Tests;

/// <summary>
/// An in-memory file system with one file of each behaviour the layer must handle: immutable (cached), large,
/// changing (never cached), failing, throwing, slow (cancellable), and a directory that exists only on lookup.
/// </summary>
internal sealed class TestFileSystem : IFuseFileSystem
{
    public static readonly TimeSpan Immutable = TimeSpan.FromHours(1);
    public static readonly byte[] Hello = "hello, world\n"u8.ToArray();
    public static readonly byte[] Nested = "nested file\n"u8.ToArray();
    public static readonly byte[] Inner = "appeared on lookup\n"u8.ToArray();

    public static readonly string[] RootEntries = ["hello.txt", "big.bin", "dir", "changing.txt", "broken.bin", "throws.bin", "slow.bin"];

    /// <summary>6 MiB + 123 bytes whose every byte depends on its offset, so a misplaced read cannot pass.</summary>
    public readonly byte[] Big = Pattern(6 * 1024 * 1024 + 123);

    private volatile byte[] _changing = Encoding.ASCII.GetBytes("version 1\n");
    private long _opens;
    private int _largestRead;

    /// <summary>The largest buffer a read was asked to fill.</summary>
    public int LargestRead => _largestRead;

    public TaskCompletionSource SlowReadStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource SlowReadCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentBag<string> Released { get; } = [];

    /// <summary>Reads that returned data, per path (the kernel's page cache serves the others).</summary>
    public ConcurrentDictionary<string, int> Reads { get; } = new();

    public string Changing
    {
        set => _changing = Encoding.ASCII.GetBytes(value);
    }

    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
            bytes[i] = (byte)(i * 31 + (i >> 12) * 7 + (i >> 20));
        return bytes;
    }

    public ValueTask<FuseResult<FileStat>> GetAttrAsync(string path, CancellationToken cancellationToken) =>
        ValueTask.FromResult(path switch
        {
            "/" or "/dir" or "/dyn" => FileStat.Directory(Immutable),
            "/changing.txt" => FileStat.File(_changing.Length, TimeSpan.Zero),
            "/broken.bin" or "/throws.bin" or "/slow.bin" => FileStat.File(4096, TimeSpan.Zero),
            _ => Content(path) is { } content ? FileStat.File(content.Length, Immutable) : (FuseResult<FileStat>)Errno.ENOENT,
        });

    public ValueTask<FuseResult<IReadOnlyList<DirEntry>>> ReadDirAsync(string path, CancellationToken cancellationToken)
    {
        IReadOnlyList<DirEntry>? entries = path switch
        {
            "/" => RootEntries.Select(n => new DirEntry(n, n == "dir" ? FileKind.Directory : FileKind.File)).ToArray(),
            "/dir" => [new DirEntry("nested.txt", FileKind.File)],
            "/dyn" => [new DirEntry("inner.txt", FileKind.File)],
            _ => null,
        };
        return ValueTask.FromResult(entries is null ? Errno.ENOTDIR : new FuseResult<IReadOnlyList<DirEntry>>(entries));
    }

    public ValueTask<FuseResult<FileHandle>> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var id = (ulong)Interlocked.Increment(ref _opens);
        FuseResult<FileHandle> result = path switch
        {
            "/changing.txt" or "/broken.bin" or "/throws.bin" => new FileHandle(id),
            "/slow.bin" => new FileHandle(id, PageCache.Bypass),
            _ => Content(path) is not null ? new FileHandle(id, PageCache.Keep) : Errno.ENOENT,
        };
        return ValueTask.FromResult(result);
    }

    public async ValueTask<FuseResult<int>> ReadAsync(string path, FileHandle handle, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        for (var largest = _largestRead; buffer.Length > largest; largest = _largestRead)
            Interlocked.CompareExchange(ref _largestRead, buffer.Length, largest);
        switch (path)
        {
            case "/broken.bin":
                return Errno.EIO;
            case "/throws.bin":
                throw new InvalidOperationException("the test file system fails on purpose");
            case "/slow.bin":
                SlowReadStarted.TrySetResult();
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(2), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    SlowReadCancelled.TrySetResult();
                    throw;
                }
                return Errno.ETIMEDOUT;
        }
        if (Content(path) is not { } content)
            return Errno.ENOENT;
        if (offset >= content.Length)
            return 0;
        var count = (int)Math.Min(buffer.Length, content.Length - offset);
        content.AsMemory((int)offset, count).CopyTo(buffer);
        Reads.AddOrUpdate(path, 1, (_, reads) => reads + 1);
        return count;
    }

    public ValueTask ReleaseAsync(string path, FileHandle handle)
    {
        Released.Add(path);
        return ValueTask.CompletedTask;
    }

    private byte[]? Content(string path) => path switch
    {
        "/hello.txt" => Hello,
        "/big.bin" => Big,
        "/dir/nested.txt" => Nested,
        "/dyn/inner.txt" => Inner,
        "/changing.txt" => _changing,
        _ => null,
    };
}
