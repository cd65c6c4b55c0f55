using System.Text.RegularExpressions;

namespace Pkg2d.Serve.Registry;

internal enum Endpoint
{
    Base,
    Catalog,
    Manifest,
    Blob,
    Tags,
    Referrers,
    Unknown,
}

/// <summary>
/// A request path of the distribution API: <c>/v2/</c>, <c>/v2/_catalog</c>, <c>/v2/NAME/manifests/REF</c>,
/// <c>/v2/NAME/blobs/DIGEST</c>, <c>/v2/NAME/tags/list</c> or <c>/v2/NAME/referrers/DIGEST</c>, where NAME may hold
/// slashes. Only the shape is parsed here; whether the name and reference are valid is checked by the caller.
/// </summary>
internal readonly partial record struct RegistryRoute(Endpoint Endpoint, string Name = "", string Reference = "")
{
    /// <summary>The distribution-spec's limit: longer names are refused before anything is looked up.</summary>
    public const int MaxNameLength = 255;

    public static RegistryRoute Parse(string path)
    {
        if (path is "/v2" or "/v2/")
            return new(Endpoint.Base);
        if (!path.StartsWith("/v2/", StringComparison.Ordinal))
            return new(Endpoint.Unknown);
        var rest = path[4..];
        if (rest == "_catalog")
            return new(Endpoint.Catalog);
        // The name ends before the last two segments: searching from the end lets a name contain "blobs" or "tags".
        var last = rest.LastIndexOf('/');
        var middle = last > 0 ? rest.LastIndexOf('/', last - 1) : -1;
        if (middle <= 0)
            return new(Endpoint.Unknown);
        var name = rest[..middle];
        var kind = rest[(middle + 1)..last];
        var reference = rest[(last + 1)..];
        return (kind, reference) switch
        {
            ("tags", "list") => new(Endpoint.Tags, name),
            ("manifests", _) => new(Endpoint.Manifest, name, reference),
            ("blobs", _) => new(Endpoint.Blob, name, reference),
            ("referrers", _) => new(Endpoint.Referrers, name, reference),
            _ => new(Endpoint.Unknown),
        };
    }

    /// <summary>The distribution-spec's repository name grammar, at most <see cref="MaxNameLength"/> characters.</summary>
    public static bool IsValidName(string name) => name.Length <= MaxNameLength && NameGrammar().IsMatch(name);

    /// <summary>The distribution-spec's tag grammar.</summary>
    public static bool IsValidTag(string tag) => TagGrammar().IsMatch(tag);

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\z")]
    private static partial Regex NameGrammar();

    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z")]
    private static partial Regex TagGrammar();
}
