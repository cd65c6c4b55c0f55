using System.Text.RegularExpressions;

namespace Pkg2d.Oci.Distribution;

/// <summary>
/// Where images are pushed: a registry host (with an optional port) and a namespace that every repository is put
/// under, parsed from <c>REGISTRY[/NAMESPACE]</c>.
/// </summary>
public sealed partial record RegistryTarget(string Registry, string Namespace)
{
    public static RegistryTarget Parse(string text)
    {
        if (text.Contains("://", StringComparison.Ordinal))
            throw new ArgumentException($"'{text}': give the registry as HOST[:PORT][/NAMESPACE], without a scheme (see --tls-verify)");
        var trimmed = text.Trim().TrimEnd('/');
        var slash = trimmed.IndexOf('/', StringComparison.Ordinal);
        var registry = slash < 0 ? trimmed : trimmed[..slash];
        var ns = slash < 0 ? "" : trimmed[(slash + 1)..];
        if (!Host().IsMatch(registry))
            throw new ArgumentException($"'{text}': '{registry}' is not a registry host[:port]");
        if (ns.Length > 0 && !IsValidRepository(ns))
            throw new ArgumentException($"'{text}': namespace '{ns}' is not a valid repository path (lowercase letters and digits, separated by . _ __ - or /)");
        return new RegistryTarget(registry, ns);
    }

    /// <summary>The repository an image named <paramref name="name"/> goes to: NAMESPACE/NAME.</summary>
    public string Repository(string name)
    {
        var repository = Namespace.Length == 0 ? name : $"{Namespace}/{name}";
        if (!IsValidRepository(repository))
            throw new ArgumentException($"'{repository}' is not a valid repository name for {Registry} (lowercase letters and digits, separated by . _ __ - or /)");
        if (Registry.Length + 1 + repository.Length > 255)
            throw new ArgumentException($"'{Registry}/{repository}' is longer than the 255 characters a reference may have");
        return repository;
    }

    public static bool IsValidRepository(string repository) => RepositoryPath().IsMatch(repository);

    public static bool IsValidTag(string tag) => Tag().IsMatch(tag);

    public override string ToString() => Namespace.Length == 0 ? Registry : $"{Registry}/{Namespace}";

    // The distribution spec's grammar for repository names and tags.
    [GeneratedRegex("^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")]
    private static partial Regex RepositoryPath();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex Tag();

    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")]
    private static partial Regex Host();
}
