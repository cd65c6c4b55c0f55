using Pkg2d.Apk.Signing;

namespace Pkg2d.Fetch;

/// <summary>Everything the command line says about where packages come from.</summary>
public sealed record RepositoryOptions
{
    /// <summary>`--repo` values (`[@tag] location [mirror...]`), in order; with <see cref="RepositoriesFile"/> they come after it.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = [];

    /// <summary>`--repositories-file`: an /etc/apk/repositories-style file.</summary>
    public string? RepositoriesFile { get; init; }

    /// <summary>`--arch`; null = this machine's.</summary>
    public string? Arch { get; init; }

    /// <summary>`--cache`; null = <see cref="PackageCache.DefaultDirectory"/>.</summary>
    public string? CacheDir { get; init; }

    /// <summary>`--keys-dir` folders of trusted `*.rsa.pub` keys; empty = /etc/apk/keys and /usr/share/apk/keys.</summary>
    public IReadOnlyList<string> KeysDirs { get; init; } = [];

    /// <summary>`--allow-untrusted`: accept unsigned or unknown-key indexes and packages (with a warning).</summary>
    public bool AllowUntrusted { get; init; }

    /// <summary>`--offline`: no downloads; indexes and packages come from the cache only.</summary>
    public bool Offline { get; init; }

    /// <summary>`--apk-tools`: the apk-tools generation images follow; null = the repositories' own (see <see cref="ApkSource.Generation"/>).</summary>
    public Pkg2d.Resolve.ApkToolsGeneration? ApkTools { get; init; }

    public int MaxConcurrentDownloads { get; init; } = 4;

    public TransportOptions Transport { get; init; } = new();

    /// <summary>The progress line's writer; null = stderr when it is a terminal, else none.</summary>
    public TextWriter? Progress { get; init; }

    public static IReadOnlyList<string> DefaultKeysDirs { get; } = ["/etc/apk/keys", "/usr/share/apk/keys"];

    /// <summary>The key folders in effect: those given (each must exist), else whichever default folders exist.</summary>
    public IReadOnlyList<string> ResolveKeysDirs() => KeysDirs.Count > 0 ? KeysDirs : [.. DefaultKeysDirs.Where(Directory.Exists)];

    /// <summary>The trusted keys of <see cref="ResolveKeysDirs"/>; a warning when there are none and untrusted input is refused.</summary>
    public TrustedKeys LoadTrustedKeys(Action<string>? warn)
    {
        var keys = TrustedKeys.Load(ResolveKeysDirs());
        if (keys.Count == 0 && !AllowUntrusted)
            warn?.Invoke($"no trusted keys in {string.Join(", ", KeysDirs.Count > 0 ? KeysDirs : DefaultKeysDirs)}: signed indexes and packages will be refused (give --keys-dir)");
        return keys;
    }

    /// <summary>The repositories in effect: the file's, then `--repo`'s; Alpine's latest-stable when none is given.</summary>
    public IReadOnlyList<RepositorySpec> ResolveRepositories()
    {
        var specs = new List<RepositorySpec>();
        if (RepositoriesFile is { } file)
            specs.AddRange(Fetch.RepositoriesFile.Load(file));
        specs.AddRange(Repositories.Select(RepositorySpec.Parse));
        return specs.Count > 0 ? specs : RepositorySpec.Defaults;
    }
}
