using System.Text;
using System.Text.Json;

namespace Pkg2d.Oci.Distribution;

/// <summary>A user name and password for one registry.</summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    public override string ToString() => $"{Username}:***";
}

/// <summary>Credentials and the auth file they were read from.</summary>
public sealed record FoundCredentials(RegistryCredentials Credentials, string File);

/// <summary>
/// Credentials from the files podman and docker keep them in: <c>{"auths": {"HOST[/PATH]": {"auth": base64(user:pass)}}}</c>.
/// </summary>
public static class AuthFile
{
    /// <summary>
    /// The files to read, in order, as containers/image orders them: a file named by <paramref name="authFile"/>
    /// (--authfile) or else REGISTRY_AUTH_FILE is the only one; otherwise $XDG_RUNTIME_DIR/containers/auth.json,
    /// $XDG_CONFIG_HOME/containers/auth.json (~/.config), then docker's $DOCKER_CONFIG/config.json (~/.docker).
    /// </summary>
    public static IReadOnlyList<string> Candidates(string? authFile, Func<string, string?> environment, string home)
    {
        if (!string.IsNullOrEmpty(authFile))
            return [authFile];
        if (environment("REGISTRY_AUTH_FILE") is { Length: > 0 } fromEnvironment)
            return [fromEnvironment];
        var files = new List<string>();
        if (environment("XDG_RUNTIME_DIR") is { Length: > 0 } runtime)
            files.Add(Path.Combine(runtime, "containers", "auth.json"));
        files.Add(Path.Combine(environment("XDG_CONFIG_HOME") is { Length: > 0 } config ? config : Path.Combine(home, ".config"), "containers", "auth.json"));
        files.Add(environment("DOCKER_CONFIG") is { Length: > 0 } docker ? Path.Combine(docker, "config.json") : Path.Combine(home, ".docker", "config.json"));
        return files;
    }

    /// <summary>The candidates for this process: its environment and home folder.</summary>
    public static IReadOnlyList<string> Candidates(string? authFile) =>
        Candidates(authFile, Environment.GetEnvironmentVariable, Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>
    /// The first credentials for <paramref name="repository"/> on <paramref name="registry"/>, the most specific key
    /// first in each file (<c>host/ns/name</c>, <c>host/ns</c>, <c>host</c>). Missing files are passed over, except one
    /// given explicitly (<paramref name="required"/>), which must exist.
    /// </summary>
    public static FoundCredentials? Lookup(IReadOnlyList<string> files, string registry, string repository, bool required = false)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                if (required)
                    throw new FileNotFoundException($"auth file {file} does not exist", file);
                continue;
            }
            if (Read(file, registry, repository) is { } credentials)
                return new FoundCredentials(credentials, file);
        }
        return null;
    }

    private static RegistryCredentials? Read(string file, string registry, string repository)
    {
        using var document = ParseFile(file);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object)
            return null;
        var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var entry in auths.EnumerateObject())
            entries.TryAdd(NormalizeKey(entry.Name), entry.Value);
        foreach (var key in Keys(registry, repository))
        {
            if (entries.TryGetValue(key, out var entry) && entry.ValueKind == JsonValueKind.Object
                && entry.TryGetProperty("auth", out var auth) && auth.GetString() is { Length: > 0 } encoded)
                return Decode(encoded, file, key);
        }
        return null;
    }

    private static JsonDocument ParseFile(string file)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"auth file {file} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Most specific first: every parent of the repository path under the registry, then the registry.</summary>
    private static IEnumerable<string> Keys(string registry, string repository)
    {
        for (var path = repository; path.Length > 0; path = path.LastIndexOf('/') is var slash and > 0 ? path[..slash] : "")
            yield return $"{registry}/{path}";
        yield return registry;
        if (registry == "docker.io")
            yield return "index.docker.io";
    }

    // Docker's legacy keys are URLs ("https://index.docker.io/v1/"): only their host names the registry.
    private static string NormalizeKey(string key)
    {
        foreach (var scheme in new[] { "https://", "http://" })
        {
            if (key.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            {
                var rest = key[scheme.Length..];
                return rest.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? rest[..slash] : rest;
            }
        }
        return key.TrimEnd('/');
    }

    private static RegistryCredentials Decode(string encoded, string file, string key)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            throw new InvalidDataException($"auth file {file}: the auth of '{key}' is not base64");
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
            throw new InvalidDataException($"auth file {file}: the auth of '{key}' is not base64 of USER:PASSWORD");
        return new RegistryCredentials(text[..colon], text[(colon + 1)..]);
    }
}
