using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pkg2d.Fuse;

namespace Pkg2d.Serve.Tests;

/// <summary>Collects formatted log lines.</summary>
internal sealed class ListLogger<T> : ILogger<T>
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
}

/// <summary>
/// A LayoutFileSystem over test images, mounted at a fresh temp dir with a fresh cache; disposing always leaves
/// no mount and no dirs behind.
/// </summary>
internal sealed class Served : IAsyncDisposable
{
    public TestImages Images { get; } = new();
    public TestProvider Provider { get; }
    public BlobCache Cache { get; }
    public ListLogger<LayoutFileSystem> Log { get; } = new();
    public ListLogger<BlobCache> CacheLog { get; } = new();
    public string Root { get; }
    public string CacheDirectory { get; }
    private FuseMount? _mount;

    private Served(long cacheSize)
    {
        Provider = new TestProvider(Images);
        Root = Directory.CreateTempSubdirectory("pkg2d-serve-mnt-").FullName;
        CacheDirectory = Directory.CreateTempSubdirectory("pkg2d-serve-cache-").FullName;
        Cache = new BlobCache(CacheDirectory, cacheSize, CacheLog);
    }

    public static async Task<Served> StartAsync(long cacheSize = 64 << 20)
    {
        var served = new Served(cacheSize);
        try
        {
            served._mount = await FuseMount.MountAsync(served.Root, new LayoutFileSystem(served.Provider, served.Cache, served.Log),
                new FuseMountOptions { Log = served.Log.Lines.Enqueue }).WaitAsync(TimeSpan.FromSeconds(10));
            return served;
        }
        catch
        {
            await served.DisposeAsync();
            throw;
        }
    }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public string BlobPath(Pkg2d.Oci.Digest digest, string? world = null) =>
        System.IO.Path.Combine(world is null ? Root : Path(world), "blobs", "sha256", digest.Hex);

    public IEnumerable<string> Errors => Log.Lines.Where(l => !l.StartsWith("Information", StringComparison.Ordinal));

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_mount is not null)
                await _mount.DisposeAsync();
        }
        finally
        {
            Mounts.Cleanup(Root);
            Directory.Delete(CacheDirectory, recursive: true);
        }
    }
}

internal static class Mounts
{
    private const int MNT_DETACH = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int umount2(string target, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int mount(string source, string target, string fileSystemType, ulong flags, string data);

    /// <summary>Leaves what a crashed server leaves: a FUSE mount whose /dev/fuse descriptor is closed (ENOTCONN).</summary>
    public static void MountStale(string mountPoint)
    {
        const int O_RDWR = 2, O_CLOEXEC = 0x80000;
        const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4;
        var fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
        Assert.True(fd >= 0, $"open /dev/fuse: errno {Marshal.GetLastPInvokeError()}");
        var result = mount("pkg2d", mountPoint, "fuse.pkg2d", MS_RDONLY | MS_NOSUID | MS_NODEV, $"fd={fd},rootmode=40000,user_id=0,group_id=0");
        var errno = Marshal.GetLastPInvokeError();
        close(fd);
        Assert.True(result == 0, $"mount: errno {errno}");
    }

    /// <summary>Mount points in this process's namespace.</summary>
    public static IReadOnlyList<string> List() =>
        File.ReadLines("/proc/self/mountinfo").Select(l => l.Split(' ')[4].Replace("\\040", " ")).ToArray();

    public static bool IsMounted(string mountPoint) => List().Contains(mountPoint);

    /// <summary>Detaches whatever is still mounted at <paramref name="mountPoint"/>, then removes it.</summary>
    public static void Cleanup(string mountPoint)
    {
        for (var i = 0; i < 8 && IsMounted(mountPoint); i++)
            umount2(mountPoint, MNT_DETACH);
        try
        {
            Directory.Delete(mountPoint);
        }
        catch (IOException)
        {
        }
    }
}
