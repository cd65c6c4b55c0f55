using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Pkg2d.Serve.Registry;

/// <summary>An error of the distribution-spec: an HTTP status and a code, sent as <c>{"errors":[{code,message,detail}]}</c>.</summary>
internal sealed record RegistryError(int Status, string Code, string Message, string? Detail = null)
{
    public static RegistryError NameInvalid(string name) =>
        new(StatusCodes.Status400BadRequest, "NAME_INVALID", "invalid repository name", Shorten(name));

    public static RegistryError NameUnknown(string name) =>
        new(StatusCodes.Status404NotFound, "NAME_UNKNOWN", "repository name not known to registry", name);

    public static RegistryError DigestInvalid(string digest) =>
        new(StatusCodes.Status400BadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", Shorten(digest));

    public static RegistryError ManifestUnknown(string reference) =>
        new(StatusCodes.Status404NotFound, "MANIFEST_UNKNOWN", "manifest unknown", reference);

    public static RegistryError BlobUnknown(string digest) =>
        new(StatusCodes.Status404NotFound, "BLOB_UNKNOWN", "blob unknown to registry", digest);

    /// <summary>Distribution's code for a page size that is not a number (the spec names none).</summary>
    public static RegistryError PaginationNumberInvalid(string n) =>
        new(StatusCodes.Status400BadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", Shorten(n));

    public static RegistryError ReadOnly(string method) =>
        new(StatusCodes.Status405MethodNotAllowed, "UNSUPPORTED", "this registry is read-only", $"{method} is not supported");

    public static RegistryError NotAnEndpoint(string path) =>
        new(StatusCodes.Status404NotFound, "UNSUPPORTED", "no such endpoint of the distribution API", Shorten(path));

    public static RegistryError RangeNotSatisfiable(long size) =>
        new(StatusCodes.Status416RangeNotSatisfiable, "UNSUPPORTED", "requested range not satisfiable", $"the blob has {size} bytes");

    public static readonly RegistryError TooManyRequests =
        new(StatusCodes.Status429TooManyRequests, "TOOMANYREQUESTS", "too many requests", "the registry is serving as many requests as it takes; retry later");

    public static RegistryError Busy(string name, string reason) =>
        new(StatusCodes.Status429TooManyRequests, "TOOMANYREQUESTS", "too many images are being built; retry later", $"{Shorten(name)}: {reason}");

    /// <summary>Distribution's code for a backend that failed: the blob could not be produced now (a mirror down).</summary>
    public static RegistryError Unavailable(string digest, string reason) =>
        new(StatusCodes.Status503ServiceUnavailable, "UNAVAILABLE", "the blob cannot be produced now", $"{digest}: {reason}");

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("errors");
            writer.WriteStartObject();
            writer.WriteString("code", Code);
            writer.WriteString("message", Message);
            if (Detail is null)
                writer.WriteNull("detail");
            else
                writer.WriteString("detail", Detail);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Echoing hostile input back is fine, but not kilobytes of it.</summary>
    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "…";
}
