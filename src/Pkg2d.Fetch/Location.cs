namespace Pkg2d.Fetch;

/// <summary>
/// Where a repository file lives: an http(s) URL or an absolute local path (`file://` URLs are turned into paths).
/// </summary>
public static class Location
{
    public static bool IsHttp(string location) =>
        location.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ||
        location.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    /// <summary>An http(s) URL without trailing slash, or an absolute local path.</summary>
    public static string Normalize(string text)
    {
        if (IsHttp(text))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out _))
                throw new FormatException($"invalid repository URL '{text}'");
            return text.TrimEnd('/');
        }
        if (text.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || !string.IsNullOrEmpty(uri.Host) && uri.Host != "localhost")
                throw new FormatException($"invalid file URL '{text}' (expected file:///absolute/path)");
            return TrimSlash(uri.LocalPath);
        }
        if (text.Contains("://", StringComparison.Ordinal))
            throw new FormatException($"unsupported repository location '{text}' (use http://, https://, file:// or a path)");
        return TrimSlash(Path.GetFullPath(text));
    }

    /// <summary>A file in a folder: URL-escaped for http(s).</summary>
    public static string Combine(string folder, string name) =>
        IsHttp(folder) ? $"{folder}/{Uri.EscapeDataString(name)}" : Path.Combine(folder, name);

    /// <summary>The folder a file is in.</summary>
    public static string Parent(string location) =>
        IsHttp(location) ? location[..location.LastIndexOf('/')] : Path.GetDirectoryName(location) ?? "/";

    /// <summary>The last part of a location.</summary>
    public static string Name(string location) =>
        IsHttp(location) ? Uri.UnescapeDataString(location[(location.LastIndexOf('/') + 1)..]) : Path.GetFileName(location);

    private static string TrimSlash(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
