using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pkg2d.Fuse;

namespace Pkg2d.Serve;

/// <summary>
/// Mounts the <see cref="LayoutFileSystem"/> when the host starts and unmounts it when the host stops. Start
/// completes only once the kernel's INIT was answered, so a systemd lifetime reports READY=1 when the mount
/// already serves. It runs only when a mount point is configured. If the mount goes away on its own (someone unmounted it), the host is stopped with exit code 1.
/// </summary>
public sealed class MountService(
    ServeOptions options, LayoutFileSystem fileSystem, IHostApplicationLifetime lifetime, ILogger<MountService> logger)
    : IHostedService
{
    private volatile bool _stopping;

    /// <summary>The mount while the service runs.</summary>
    public FuseMount? Mount { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var mountPoint = Path.GetFullPath(options.MountPoint
            ?? throw new InvalidOperationException("the mount service runs only with a mount point"));
        var mountOptions = new FuseMountOptions
        {
            AllowOther = options.AllowOther,
            Log = message => logger.LogError("FUSE: {Message}", message),
        };
        try
        {
            Mount = await FuseMount.MountAsync(mountPoint, fileSystem, mountOptions, cancellationToken);
        }
        catch (DirectoryNotFoundException)
        {
            // Created only now: a stale mount left there would fail mkdir, and FuseMount clears those first.
            Directory.CreateDirectory(mountPoint);
            Mount = await FuseMount.MountAsync(mountPoint, fileSystem, mountOptions, cancellationToken);
        }
        logger.LogInformation("Serving OCI layouts at {MountPoint} (cache {CacheDirectory}, at most {CacheSize} bytes)",
            mountPoint, options.CacheDirectory, options.CacheSize);
        _ = WatchAsync(Mount);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        if (Mount is { } mount)
        {
            await mount.DisposeAsync();
            logger.LogInformation("Unmounted {MountPoint}", mount.MountPoint);
        }
    }

    private async Task WatchAsync(FuseMount mount)
    {
        await mount.Completion;
        if (_stopping)
            return;
        logger.LogCritical("The mount at {MountPoint} ended while serving (unmounted from outside?); stopping", mount.MountPoint);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }
}
