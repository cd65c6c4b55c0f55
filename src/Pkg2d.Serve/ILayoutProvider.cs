using Pkg2d.Oci;

namespace Pkg2d.Serve;

/// <summary>The layouts a mount serves. Implementations are called concurrently from FUSE requests.</summary>
public interface ILayoutProvider
{
    /// <summary>
    /// The layout of the configured images, served at the mount's top level. It may change over time: it is read
    /// afresh for every request, so the getter must be cheap (return the current snapshot).
    /// </summary>
    Layout Root { get; }

    /// <summary>
    /// A one-image layout (ref <c>latest</c>) for an on-demand directory name such as <c>python3</c> or
    /// <c>gcc,make,musl-dev</c>, or null when the world cannot be resolved (the provider logs why).
    /// </summary>
    /// <exception cref="ProviderBusyException">The world cannot be resolved now, but may be later.</exception>
    ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken);
}

/// <summary>A world that is not refused, only not resolved now: too many others are (the mount answers EAGAIN, the registry 429).</summary>
public sealed class ProviderBusyException(string message) : Exception(message);

/// <summary>
/// A provider whose images move on: refreshed from the repositories they were built from, with replaced and
/// forgotten images retained for a while, and what no image references removed from its caches.
/// </summary>
public interface IRefreshingLayoutProvider : ILayoutProvider
{
    /// <summary>
    /// Checks the repositories and publishes, all at once, the images that changed. A refresh that fails changes
    /// nothing and is logged; it does not throw.
    /// </summary>
    Task RefreshAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Forgets the retained images whose time is up, then removes from the caches what no image references.
    /// Returns when the next retained image's time is up, or null when none is retained.
    /// </summary>
    DateTimeOffset? Collect(DateTimeOffset now);
}
