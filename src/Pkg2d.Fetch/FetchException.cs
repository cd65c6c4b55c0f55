using System.Net;

namespace Pkg2d.Fetch;

/// <summary>A repository file could not be downloaded or read. The message names the location (and package, if any).</summary>
public class FetchException(string message, string location, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The URL or path that failed (the last one tried, when there were mirrors).</summary>
    public string Location { get; } = location;

    /// <summary>The HTTP status, when the server answered with an error.</summary>
    public HttpStatusCode? Status { get; } = status;

    /// <summary>The file does not exist there (HTTP 404/410, or no such local file).</summary>
    public bool IsNotFound => Status is HttpStatusCode.NotFound or HttpStatusCode.Gone || InnerException is FileNotFoundException or DirectoryNotFoundException;
}

/// <summary>The file is larger than its index entry or any index may be.</summary>
public sealed class OversizeException(string message, string location) : FetchException(message, location);

/// <summary>A repository cannot be used for the requested arch (no index, bad index). The message names both.</summary>
public class RepositoryException(string message, Exception? inner = null) : Exception(message, inner);
