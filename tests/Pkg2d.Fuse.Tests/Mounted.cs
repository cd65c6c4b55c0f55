using System.Collections.Concurrent;

namespace Pkg2d.Fuse.Tests;

/// <summary>A test file system mounted at a fresh temp dir; disposing always leaves no mount and no dir behind.</summary>
internal sealed class Mounted : IAsyncDisposable
{
    public string Root { get; }
    public TestFileSystem FileSystem { get; } = new();
    public ConcurrentQueue<string> Log { get; } = new();
    public FuseMount Mount { get; private set; } = null!;

    private Mounted(string root) => Root = root;

    public static string NewMountPoint() => Directory.CreateTempSubdirectory("pkg2d-fuse-").FullName;

    public static async Task<Mounted> StartAsync(FuseMountOptions? options = null, string? mountPoint = null)
    {
        var mounted = new Mounted(mountPoint ?? NewMountPoint());
        try
        {
            options ??= new FuseMountOptions();
            mounted.Mount = await FuseMount.MountAsync(mounted.Root, mounted.FileSystem, new FuseMountOptions
            {
                AllowOther = options.AllowOther,
                UseFusermount = options.UseFusermount,
                FusermountPath = options.FusermountPath,
                ReaderThreads = options.ReaderThreads,
                Log = mounted.Log.Enqueue,
            }).WaitAsync(TimeSpan.FromSeconds(10));
            return mounted;
        }
        catch
        {
            Cleanup(mounted.Root);
            throw;
        }
    }

    public string Path(string relative) => System.IO.Path.Combine(Root, relative);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Mount is not null)
                await Mount.DisposeAsync();
        }
        finally
        {
            Cleanup(Root);
        }
    }

    /// <summary>Detaches whatever is still mounted at <paramref name="mountPoint"/>, then removes it.</summary>
    public static void Cleanup(string mountPoint)
    {
        for (var i = 0; i < 8 && MountTable.Find(mountPoint) is not null; i++)
            Native.umount2(mountPoint, Native.MNT_DETACH);
        try
        {
            Directory.Delete(mountPoint);
        }
        catch (IOException)
        {
        }
    }
}
