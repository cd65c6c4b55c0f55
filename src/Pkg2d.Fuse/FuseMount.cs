using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Pkg2d.Fuse;

public sealed class FuseMountOptions
{
    /// <summary>Lets users other than the mounting one in (allow_other); root may always, others need user_allow_other in /etc/fuse.conf.</summary>
    public bool AllowOther { get; init; } = true;

    /// <summary>Mount through fusermount3 instead of mount(2); null chooses it when not running as root.</summary>
    public bool? UseFusermount { get; init; }

    public string FusermountPath { get; init; } = "fusermount3";

    /// <summary>The file system type is fuse.&lt;Name&gt; and the mount source is Name.</summary>
    public string Name { get; init; } = "pkg2d";

    /// <summary>Threads blocked reading /dev/fuse; handlers run asynchronously, so a few are enough.</summary>
    public int ReaderThreads { get; init; } = 3;

    /// <summary>Receives unexpected failures (a file system exception, a failed reply).</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// A read-only FUSE mount of an <see cref="IFuseFileSystem"/>. Disposing unmounts it (lazily when still in use,
/// in which case the session serves the remaining open files until they are closed).
/// </summary>
public sealed class FuseMount : IAsyncDisposable
{
    private readonly FuseSession _session;
    private readonly FuseMountOptions _options;
    private readonly bool _viaFusermount;
    private int _disposed;

    private FuseMount(string mountPoint, FuseSession session, FuseMountOptions options, bool viaFusermount)
    {
        MountPoint = mountPoint;
        _session = session;
        _options = options;
        _viaFusermount = viaFusermount;
    }

    public string MountPoint { get; }

    /// <summary>Completes once the kernel's INIT was answered, i.e. the mount answers requests.</summary>
    public Task Ready => _session.Ready;

    /// <summary>Completes when the session ends: unmounted (by us or anyone) or the connection aborted.</summary>
    public Task Completion => _session.Completion;

    /// <summary>
    /// Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> (an existing directory). A stale FUSE
    /// mount left there by a crashed server is detached first; a live mount there is an InvalidOperationException.
    /// </summary>
    public static FuseMount Mount(string mountPoint, IFuseFileSystem fileSystem, FuseMountOptions? options = null)
    {
        options ??= new FuseMountOptions();
        mountPoint = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mountPoint));
        ClearStaleMount(mountPoint);
        if (!Directory.Exists(mountPoint))
            throw new DirectoryNotFoundException($"mount point {mountPoint} is not a directory");

        var uid = Native.geteuid();
        var gid = Native.getegid();
        var viaFusermount = options.UseFusermount ?? uid != 0;
        var fd = viaFusermount ? MountWithFusermount(mountPoint, options) : MountWithSyscall(mountPoint, options, uid, gid);
        var session = new FuseSession(new SafeFileHandle(fd, ownsHandle: true), fileSystem, uid, gid, options.Log);
        session.Start(options.ReaderThreads);
        return new FuseMount(mountPoint, session, options, viaFusermount);
    }

    /// <summary>Mounts and waits until the mount answers.</summary>
    public static async Task<FuseMount> MountAsync(string mountPoint, IFuseFileSystem fileSystem, FuseMountOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var mount = Mount(mountPoint, fileSystem, options);
        try
        {
            await mount.Ready.WaitAsync(cancellationToken);
            return mount;
        }
        catch
        {
            await mount.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (!_session.Completion.IsCompleted)
            await Task.Run(Unmount);
        // A plain unmount ends the session at once; after a lazy one it ends when the last open file is closed.
        await Task.WhenAny(_session.Completion, Task.Delay(TimeSpan.FromSeconds(2)));
    }

    private void Unmount()
    {
        if (_viaFusermount)
        {
            if (RunFusermount(["-u", "--", MountPoint], null).ExitCode == 0)
                return;
            var (exitCode, errors) = RunFusermount(["-u", "-z", "--", MountPoint], null);
            if (exitCode != 0)
                _options.Log?.Invoke($"unmounting {MountPoint}: {_options.FusermountPath} exited with {exitCode}: {errors.Trim()}");
            return;
        }
        if (Native.umount2(MountPoint, 0) == 0)
            return;
        var errno = Native.LastError;
        if (errno == Native.EBUSY)
        {
            if (Native.umount2(MountPoint, Native.MNT_DETACH) == 0)
                return;
            errno = Native.LastError;
        }
        if (errno != Native.EINVAL) // EINVAL: no longer mounted
            _options.Log?.Invoke($"unmounting {MountPoint}: {Native.Describe(errno)}");
    }

    /// <summary>
    /// Detaches a FUSE mount whose server is gone (stat fails with ENOTCONN); refuses a mount point that another
    /// live mount already uses.
    /// </summary>
    private static void ClearStaleMount(string mountPoint)
    {
        for (var attempt = 0; MountTable.Find(mountPoint) is { } existing; attempt++)
        {
            var inUse = $"mount point {mountPoint} is already in use by a {existing.FileSystemType} mount of {existing.Source}";
            if (!existing.FileSystemType.StartsWith("fuse", StringComparison.Ordinal) || attempt >= 8)
                throw new InvalidOperationException(inUse);
            // A hung server would block stat for good: give it a few seconds, then call the mount live.
            var stat = Task.Run(() => Native.StatfsError(mountPoint));
            if (!stat.Wait(TimeSpan.FromSeconds(5)))
                throw new InvalidOperationException(inUse + " whose server does not answer");
            if (stat.Result != Native.ENOTCONN)
                throw new InvalidOperationException(inUse);
            if (Native.umount2(mountPoint, Native.MNT_DETACH) != 0)
                throw new IOException($"detaching the stale FUSE mount at {mountPoint}: {Native.Describe(Native.LastError)}");
        }
    }

    private static int MountWithSyscall(string mountPoint, FuseMountOptions options, uint uid, uint gid)
    {
        var fd = Native.open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC);
        if (fd < 0)
            throw new IOException($"opening /dev/fuse: {Native.Describe(Native.LastError)}");
        var data = $"fd={fd},rootmode=40000,user_id={uid},group_id={gid},default_permissions"
            + (options.AllowOther ? ",allow_other" : "");
        if (Native.mount(options.Name, mountPoint, "fuse." + options.Name, Native.MS_RDONLY | Native.MS_NOSUID | Native.MS_NODEV, data) != 0)
        {
            var errno = Native.LastError;
            Native.close(fd);
            throw new IOException($"mounting FUSE at {mountPoint}: {Native.Describe(errno)}");
        }
        return fd;
    }

    /// <summary>fusermount3 mounts and sends the /dev/fuse descriptor back over the socket named by _FUSE_COMMFD.</summary>
    private static int MountWithFusermount(string mountPoint, FuseMountOptions options)
    {
        var (ours, theirs) = Native.SocketPair();
        try
        {
            var mountOptions = $"ro,nosuid,nodev,default_permissions,fsname={options.Name},subtype={options.Name}"
                + (options.AllowOther ? ",allow_other" : "");
            var (exitCode, errors) = RunFusermount(["-o", mountOptions, "--", mountPoint], theirs, options.FusermountPath);
            Native.close(theirs);
            theirs = -1;
            if (exitCode != 0)
                throw new IOException($"{options.FusermountPath} could not mount {mountPoint} (exit {exitCode}): {errors.Trim()}"
                    + (options.AllowOther && errors.Contains("user_allow_other", StringComparison.Ordinal)
                        ? "; to let other users read the mount, add the line user_allow_other to /etc/fuse.conf, or serve it to yourself only with --allow-other false"
                        : ""));
            var fd = Native.ReceiveDescriptor(ours);
            if (fd < 0)
                throw new IOException($"{options.FusermountPath} mounted {mountPoint} but sent no /dev/fuse descriptor");
            return fd;
        }
        finally
        {
            Native.close(ours);
            if (theirs >= 0)
                Native.close(theirs);
        }
    }

    private (int ExitCode, string Errors) RunFusermount(string[] arguments, int? commFd) =>
        RunFusermount(arguments, commFd, _options.FusermountPath);

    private static (int ExitCode, string Errors) RunFusermount(string[] arguments, int? commFd, string path)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        if (commFd is { } fd)
            start.Environment["_FUSE_COMMFD"] = fd.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var process = Process.Start(start) ?? throw new IOException($"could not start {path}");
        var errors = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, errors.Result);
    }
}
