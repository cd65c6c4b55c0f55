using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pkg2d.Oci;

namespace Pkg2d.Serve.Registry;

/// <summary>
/// The read-only endpoints of the OCI distribution-spec v1.1 over <see cref="RegistryContent"/>. Manifests are sent
/// with their stored media type whatever <c>Accept</c> says; blobs come from the same <see cref="BlobCache"/> as the
/// mount's (produced on the first GET, never for HEAD) and are streamed from the lease's file handle.
/// </summary>
internal sealed class RegistryHandler(RegistryContent content, BlobCache cache, ILogger<RegistryHandler> logger)
{
    /// <summary>Requests served at once; more get 429 rather than queueing behind stalled clients.</summary>
    public const int MaxConcurrentRequests = 512;

    private const int ChunkSize = 256 * 1024;
    private const string OctetStream = "application/octet-stream";
    private const string Json = "application/json";

    private readonly SemaphoreSlim _slots = new(MaxConcurrentRequests);

    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers["Docker-Distribution-API-Version"] = "registry/2.0";
        if (!_slots.Wait(0))
        {
            context.Response.Headers.RetryAfter = "1";
            await SendErrorAsync(context, RegistryError.TooManyRequests);
            return;
        }
        try
        {
            if (await DispatchAsync(context) is { } error)
                await SendErrorAsync(context, error);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            // Once headers are out, only a reset tells the client that the body is not whole.
            if (context.Response.HasStarted)
                context.Abort();
            else
                await SendErrorAsync(context, new RegistryError(StatusCodes.Status500InternalServerError, "UNKNOWN", "internal error", e.Message));
        }
        finally
        {
            _slots.Release();
        }
        logger.LogDebug("{Method} {Path} {Status}", context.Request.Method, context.Request.Path, context.Response.StatusCode);
    }

    /// <summary>Sends the response, or returns the error to send instead.</summary>
    private async Task<RegistryError?> DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return RegistryError.ReadOnly(request.Method);
        }
        var path = request.Path.Value ?? "";
        var route = RegistryRoute.Parse(path);
        switch (route.Endpoint)
        {
            case Endpoint.Unknown:
                return RegistryError.NotAnEndpoint(path);
            case Endpoint.Base:
                await SendAsync(context, Json, "{}"u8.ToArray());
                return null;
            case Endpoint.Catalog:
                return await SendListAsync(context, "repositories", null, content.Catalog(), "/v2/_catalog");
        }

        // Everything the path says is checked before a name can make the provider resolve a world.
        if (!RegistryRoute.IsValidName(route.Name))
            return RegistryError.NameInvalid(route.Name);
        var digest = default(Digest);
        var isTag = route.Endpoint == Endpoint.Manifest && RegistryRoute.IsValidTag(route.Reference);
        // A manifest reference that is neither a tag nor a digest names nothing served here: 404, as the distribution
        // spec's conformance suite expects (a blob's or a referrers' digest stays a 400).
        if ((route.Endpoint is Endpoint.Manifest or Endpoint.Blob or Endpoint.Referrers) && !isTag && !Digest.TryParse(route.Reference, out digest))
            return route.Endpoint == Endpoint.Manifest ? RegistryError.ManifestUnknown(route.Reference) : RegistryError.DigestInvalid(route.Reference);

        Repository? repository;
        try
        {
            repository = await content.FindAsync(route.Name, isTag || route.Endpoint == Endpoint.Tags ? null : digest, context.RequestAborted);
        }
        catch (ProviderBusyException e)
        {
            context.Response.Headers.RetryAfter = "5";
            return RegistryError.Busy(route.Name, e.Message);
        }
        if (repository is null)
            return RegistryError.NameUnknown(route.Name);
        switch (route.Endpoint)
        {
            case Endpoint.Manifest:
                var manifest = isTag
                    ? route.Reference == Repository.Tag ? repository.Manifest : null
                    : repository.Find(digest) is { } blob && (MediaTypes.IsManifest(blob.Descriptor.MediaType) || MediaTypes.IsIndex(blob.Descriptor.MediaType)) ? blob : null;
                return manifest is null
                    ? RegistryError.ManifestUnknown(route.Reference)
                    : await SendBlobAsync(context, manifest, manifest.Descriptor.MediaType);
            case Endpoint.Blob:
                return repository.Find(digest) is { } found
                    ? await SendBlobAsync(context, found, OctetStream)
                    : RegistryError.BlobUnknown(route.Reference);
            case Endpoint.Tags:
                return await SendListAsync(context, "tags", repository.Name, repository.Tags, $"/v2/{repository.Name}/tags/list");
            default:
                var referrers = repository.ReferrersOf(digest).Select(r => r.Descriptor);
                if (context.Request.Query["artifactType"] is [{ } query])
                {
                    // A `+` left unencoded (application/spdx+json) arrives as a space; no media type holds one.
                    var artifactType = query.Replace(' ', '+');
                    referrers = referrers.Where(r => r.ArtifactType == artifactType);
                    context.Response.Headers["OCI-Filters-Applied"] = "artifactType";
                }
                await SendAsync(context, MediaTypes.OciIndex, new ImageIndex([.. referrers]).ToJson());
                return null;
        }
    }

    /// <summary>
    /// A blob or manifest, whole or the one range asked for. A GET of a blob that is not in memory waits for the
    /// cache before any header is sent, so a failed production is an error response, not a short body.
    /// </summary>
    private async Task<RegistryError?> SendBlobAsync(HttpContext context, IBlob blob, string contentType)
    {
        var descriptor = blob.Descriptor;
        var response = context.Response;
        var range = ByteRange.Parse(context.Request.Headers.Range, descriptor.Size);
        if (range is { IsSatisfiable: false })
        {
            response.Headers.ContentRange = $"bytes */{descriptor.Size}";
            return RegistryError.RangeNotSatisfiable(descriptor.Size);
        }
        var (start, length) = range is { } r ? (r.Start, r.Length) : (0L, descriptor.Size);
        var head = HttpMethods.IsHead(context.Request.Method);

        BlobLease? lease = null;
        if (!head && blob is not MemoryBlob)
        {
            try
            {
                lease = await cache.AcquireAsync(blob, context.RequestAborted);
            }
            catch (Exception e) when (!(e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
            {
                logger.LogError("Blob {Digest} ({MediaType}, {Size} bytes) could not be produced for {Path}: {Reason}",
                    descriptor.Digest, descriptor.MediaType, descriptor.Size, context.Request.Path, e.Message);
                return RegistryError.Unavailable(descriptor.Digest.ToString(), e.Message);
            }
        }
        using (lease)
        {
            response.Headers["Docker-Content-Digest"] = descriptor.Digest.ToString();
            response.Headers.ETag = $"\"{descriptor.Digest}\"";
            response.Headers.AcceptRanges = "bytes";
            response.ContentType = contentType;
            response.ContentLength = length;
            if (range is { } part)
            {
                response.StatusCode = StatusCodes.Status206PartialContent;
                response.Headers.ContentRange = $"bytes {part.Start}-{part.End}/{descriptor.Size}";
            }
            if (head)
                return null;
            if (blob is MemoryBlob memory)
                await response.Body.WriteAsync(memory.Bytes.Slice((int)start, (int)length), context.RequestAborted);
            else
                await CopyAsync(lease!, start, length, response.Body, context.RequestAborted);
        }
        return null;
    }

    private static async Task CopyAsync(BlobLease lease, long start, long length, Stream body, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            for (var offset = start; offset < start + length;)
            {
                var read = await lease.ReadAsync(offset, buffer.AsMemory(0, (int)Math.Min(ChunkSize, start + length - offset)), cancellationToken);
                if (read == 0)
                    throw new IOException($"the cached file of {lease.Digest} ended at {offset} of {lease.Length} bytes");
                await body.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                offset += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// <c>{"name":…,"KEY":[…]}</c> (no name for the catalog) of the sorted items after <c>last</c>, at most <c>n</c>
    /// of them, with a <c>Link</c> to the next page when items are left.
    /// </summary>
    private static async Task<RegistryError?> SendListAsync(HttpContext context, string key, string? name, IReadOnlyList<string> sorted, string path)
    {
        var query = context.Request.Query;
        int? n = null;
        if (query.TryGetValue("n", out var text))
        {
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                return RegistryError.PaginationNumberInvalid(text.ToString());
            n = count;
        }
        IEnumerable<string> items = sorted;
        if (query.TryGetValue("last", out var last) && last.ToString() is { Length: > 0 } after)
            items = items.Where(item => string.CompareOrdinal(item, after) > 0);
        var remaining = items.ToArray();
        var page = n is { } size ? remaining.Take(size).ToArray() : remaining;
        if (page.Length > 0 && page.Length < remaining.Length)
            context.Response.Headers.Link = $"<{path}?n={n}&last={Uri.EscapeDataString(page[^1])}>; rel=\"next\"";

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (name is not null)
                writer.WriteString("name", name);
            writer.WriteStartArray(key);
            foreach (var item in page)
                writer.WriteStringValue(item);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        await SendAsync(context, Json, buffer.ToArray());
        return null;
    }

    private static Task SendErrorAsync(HttpContext context, RegistryError error)
    {
        context.Response.StatusCode = error.Status;
        return SendAsync(context, Json, error.ToJson());
    }

    private static async Task SendAsync(HttpContext context, string contentType, byte[] body)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
