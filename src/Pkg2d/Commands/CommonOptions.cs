using System.CommandLine;
using Pkg2d.Fetch;
using Pkg2d.Resolve;

namespace Pkg2d.Commands;

/// <summary>The repository, key and cache options shared by every command that reads repositories.</summary>
internal sealed class CommonOptions
{
    public Option<string[]> Repo { get; } = new("--repo", "-X")
    {
        Description = "A repository as /etc/apk/repositories takes it: a base URL or path (read as <base>/<arch>/APKINDEX.tar.gz), "
            + "or a path or URL of an APKINDEX.tar.gz or plain APKINDEX; '@tag' first pins it; more locations on the line are mirrors. Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> RepositoriesFile { get; } = new("--repositories-file")
    {
        Description = "Read repositories from a file in /etc/apk/repositories format (comments, blank lines, @tag lines).",
    };

    public Option<string?> Arch { get; } = new("--arch")
    {
        Description = $"Alpine architecture ({string.Join(", ", AlpineArch.Known)}); default: this machine's.",
    };

    public Option<string[]> KeysDir { get; } = new("--keys-dir")
    {
        Description = "A folder of trusted public keys (*.rsa.pub). Repeatable; default: /etc/apk/keys and /usr/share/apk/keys.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> AllowUntrusted { get; } = new("--allow-untrusted")
    {
        Description = "Accept indexes and packages with a missing or bad signature (a warning says so).",
    };

    public Option<string?> Cache { get; } = new("--cache")
    {
        Description = "Cache folder; default: $XDG_CACHE_HOME/pkg2d, or /var/cache/pkg2d as root.",
    };

    public Option<bool> Offline { get; } = new("--offline")
    {
        Description = "Use only cached indexes and packages.",
    };

    public Option<string?> ApkTools { get; } = new("--apk-tools")
    {
        Description = "Resolve and install as apk-tools 2 or 3 do. Default: 3 when the repositories' newest apk-tools is 3.x (Alpine 3.23 and later), else 2.",
    };

    public void AddTo(Command command, bool withArch = true)
    {
        command.Options.Add(Repo);
        command.Options.Add(RepositoriesFile);
        if (withArch)
            command.Options.Add(Arch);
        command.Options.Add(KeysDir);
        command.Options.Add(AllowUntrusted);
        command.Options.Add(Cache);
        command.Options.Add(Offline);
        command.Options.Add(ApkTools);
    }

    public RepositoryOptions Read(ParseResult result) => new()
    {
        Repositories = result.GetValue(Repo) ?? [],
        RepositoriesFile = result.GetValue(RepositoriesFile),
        Arch = result.GetValue(Arch),
        KeysDirs = result.GetValue(KeysDir) ?? [],
        AllowUntrusted = result.GetValue(AllowUntrusted),
        CacheDir = result.GetValue(Cache),
        Offline = result.GetValue(Offline),
        ApkTools = Generation(result.GetValue(ApkTools), "--apk-tools"),
    };

    /// <summary>`--apk-tools 2|3` or the `ApkTools` configuration key (<paramref name="source"/>); null when not given.</summary>
    public static ApkToolsGeneration? Generation(string? value, string source) => value switch
    {
        null or "" => null,
        "2" => ApkToolsGeneration.V2,
        "3" => ApkToolsGeneration.V3,
        _ => throw new ArgumentException($"{source} takes 2 or 3, not '{value}'"),
    };
}
