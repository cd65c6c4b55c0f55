using System.Net;
using System.Text.Json;

namespace Pkg2d.Oci.Distribution;

/// <summary>
/// A registry refused or failed a request. The message names what was being done; for an HTTP answer it has the
/// status and the registry's own error codes and messages when it sent its JSON error body.
/// </summary>
public sealed class RegistryException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : HttpRequestException(message, inner, status)
{
    /// <summary>The text for an error answer: <c>401 UNAUTHORIZED: authentication required</c>, or the status and the start of a plain body.</summary>
    public static string Describe(HttpStatusCode status, string? reason, string? body)
    {
        var code = $"{(int)status}";
        if (Errors(body) is { Count: > 0 } errors)
            return $"{code} {string.Join("; ", errors)}";
        var text = body?.Trim() ?? "";
        if (text.Length > 200)
            text = text[..200] + "…";
        reason = string.IsNullOrEmpty(reason) ? status.ToString() : reason;
        return text.Length > 0 ? $"{code} {reason}: {text}" : $"{code} {reason}";
    }

    /// <summary>The distribution spec's error body: <c>{"errors":[{"code":..,"message":..,"detail":..}]}</c> as CODE: message.</summary>
    private static IReadOnlyList<string>? Errors(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
            return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("errors", out var errors) || errors.ValueKind != JsonValueKind.Array)
                return null;
            return errors.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(e =>
            {
                var code = e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                var message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                var detail = e.TryGetProperty("detail", out var d) && d.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined)
                    ? d.ValueKind == JsonValueKind.String ? d.GetString() : d.GetRawText()
                    : null;
                var text = string.Join(": ", new[] { code, message }.Where(s => !string.IsNullOrEmpty(s)));
                return string.IsNullOrEmpty(detail) ? text : $"{text} ({detail})";
            }).Where(s => s.Length > 0).ToArray();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
