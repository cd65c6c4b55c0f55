using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pkg2d.Serve;

/// <summary>
/// Keeps an <see cref="IRefreshingLayoutProvider"/> current: refreshes it every <see cref="ServeOptions.Refresh"/>
/// and at once on SIGHUP (<c>systemctl reload pkg2d</c>), and collects its garbage whenever a retained image's time
/// is up. One refresh runs at a time; signals that arrive during one ask for one more.
/// </summary>
public sealed class RefreshService(ILayoutProvider provider, ServeOptions options, ILogger<RefreshService> logger) : BackgroundService
{
    // Task.Delay takes at most about 49 days; waking once a day costs nothing.
    private static readonly TimeSpan LongestWait = TimeSpan.FromDays(1);

    private readonly SemaphoreSlim _asked = new(0, 1);
    private PosixSignalRegistration? _hangup;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered before READY=1, so a reload right after the start is a refresh, not SIGHUP's default: exit.
        if (provider is IRefreshingLayoutProvider)
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                logger.LogInformation("refresh: asked by SIGHUP");
                Ask();
            });
        return base.StartAsync(cancellationToken);
    }

    /// <summary>Asks for a refresh now (as SIGHUP does).</summary>
    public void Ask()
    {
        try
        {
            _asked.Release();
        }
        catch (SemaphoreFullException)
        {
            // One is asked for already.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (provider is not IRefreshingLayoutProvider refreshing)
            return;
        await Task.Yield(); // the first collection runs beside the start, not before it
        var periodic = options.Refresh > TimeSpan.Zero;
        var nextRefresh = periodic ? DateTimeOffset.UtcNow + options.Refresh : DateTimeOffset.MaxValue;
        var nextCollect = Collect(refreshing);
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = nextCollect is { } collect && collect < nextRefresh ? collect : nextRefresh;
            var wait = wake - DateTimeOffset.UtcNow;
            bool asked;
            try
            {
                asked = await _asked.WaitAsync(wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < LongestWait ? wait : LongestWait, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (asked || DateTimeOffset.UtcNow >= nextRefresh)
            {
                try
                {
                    await refreshing.RefreshAsync(stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    logger.LogError(e, "refresh: failed unexpectedly; nothing changed");
                }
                if (periodic)
                    nextRefresh = DateTimeOffset.UtcNow + options.Refresh;
            }
            nextCollect = Collect(refreshing);
        }
    }

    private DateTimeOffset? Collect(IRefreshingLayoutProvider refreshing)
    {
        try
        {
            return refreshing.Collect(DateTimeOffset.UtcNow);
        }
        catch (Exception e)
        {
            logger.LogError(e, "collect: failed; trying again in a minute");
            return DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1);
        }
    }

    public override void Dispose()
    {
        _hangup?.Dispose();
        _asked.Dispose();
        base.Dispose();
    }
}
