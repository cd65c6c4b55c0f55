namespace Pkg2d.Fetch;

/// <summary>Timeouts and retries of <see cref="RepositoryTransport"/>.</summary>
public sealed record TransportOptions
{
    /// <summary>How long to wait for a TCP/TLS connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the server may stay silent: for the response headers, and between two reads of the body.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra attempts after a transient failure (dropped connection, timeout, 5xx), per mirror.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>The wait before the first retry; doubled for each next one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}
