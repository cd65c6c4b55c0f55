using System.CommandLine;
using Pkg2d.Fetch;

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
    };
}
