namespace Pkg2d.Image.Definition;

/// <summary>A directory made in the image after its packages are installed (apko's `paths`).</summary>
/// <param name="Path">Absolute.</param>
/// <param name="Mode">Permission bits (0 to 07777).</param>
/// <param name="Owner">`USER[:GROUP]` by name or number, as `chown` takes it; null: root.</param>
public sealed record PathSetting(string Path, int Mode, string? Owner);

/// <summary>A group added to the image with a fixed id, for packages that ship no script for it.</summary>
public sealed record GroupSetting(string Name, int Gid);

/// <summary>A user added to the image with a fixed id (busybox `adduser -D`): home made, password locked.</summary>
/// <param name="Group">Its primary group (added first, or already in the image); null: a group of its own named like it, with its uid as gid.</param>
/// <param name="Home">Null: /home/NAME.</param>
/// <param name="Shell">Null: /bin/sh.</param>
public sealed record UserSetting(string Name, int Uid, string? Group, string? Home, string? Shell);

/// <summary>
/// What an image runs and how, beyond its packages: the OCI config's execution fields, the manifest's own
/// annotations, and what is added to the root after the install scripts ran (accounts, then paths, then the working
/// directory). A null (or empty) field is unset: another source of settings may give it (<see cref="Over"/>),
/// else the image has pkg2d's default (`PATH`, `Cmd ["/bin/sh"]`, root in `/`).
/// </summary>
public sealed record ImageSettings
{
    public static readonly ImageSettings None = new();

    /// <summary>The PATH of an image whose settings give none (Alpine's and Docker's).</summary>
    public const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The command of an image with neither entrypoint nor command.</summary>
    public static readonly IReadOnlyList<string> DefaultCmd = ["/bin/sh"];

    public IReadOnlyList<string>? Entrypoint { get; init; }
    public IReadOnlyList<string>? Cmd { get; init; }

    /// <summary>Environment variables in order; a later value of a name replaces an earlier one in its place.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Env { get; init; } = [];

    /// <summary>`NAME[:GROUP]` or `UID[:GID]`.</summary>
    public string? User { get; init; }

    public string? WorkingDir { get; init; }
    public IReadOnlyList<KeyValuePair<string, string>> Labels { get; init; } = [];

    /// <summary>On the image's manifest, beside pkg2d's own.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Annotations { get; init; } = [];

    /// <summary>`PORT/tcp` or `PORT/udp`.</summary>
    public IReadOnlyList<string>? ExposedPorts { get; init; }

    public IReadOnlyList<string>? Volumes { get; init; }
    public string? StopSignal { get; init; }
    public IReadOnlyList<PathSetting>? Paths { get; init; }
    public IReadOnlyList<GroupSetting>? Groups { get; init; }
    public IReadOnlyList<UserSetting>? Users { get; init; }

    /// <summary>
    /// These settings over <paramref name="defaults"/>: a field given here replaces the default's; environment,
    /// labels and annotations are merged by name, these winning.
    /// </summary>
    public ImageSettings Over(ImageSettings defaults) => new()
    {
        Entrypoint = Entrypoint ?? defaults.Entrypoint,
        Cmd = Cmd ?? defaults.Cmd,
        Env = Merge(defaults.Env, Env),
        User = User ?? defaults.User,
        WorkingDir = WorkingDir ?? defaults.WorkingDir,
        Labels = Merge(defaults.Labels, Labels),
        Annotations = Merge(defaults.Annotations, Annotations),
        ExposedPorts = ExposedPorts ?? defaults.ExposedPorts,
        Volumes = Volumes ?? defaults.Volumes,
        StopSignal = StopSignal ?? defaults.StopSignal,
        Paths = Paths ?? defaults.Paths,
        Groups = Groups ?? defaults.Groups,
        Users = Users ?? defaults.Users,
    };

    /// <summary>Pairs in first-seen order of their names, each with its last value.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Merge(IEnumerable<KeyValuePair<string, string>> first, IEnumerable<KeyValuePair<string, string>> then)
    {
        var merged = new List<KeyValuePair<string, string>>();
        var places = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in first.Concat(then))
        {
            if (places.TryGetValue(pair.Key, out var at))
                merged[at] = pair;
            else
            {
                places[pair.Key] = merged.Count;
                merged.Add(pair);
            }
        }
        return merged;
    }

    /// <summary>The PATH the image's processes start with.</summary>
    public string Path => Env.LastOrDefault(e => e.Key == "PATH") is { Key: not null } path ? path.Value : DefaultPath;

    /// <summary>The config's `Env`: the default PATH first unless PATH is given, then the variables as given.</summary>
    public IReadOnlyList<string> ConfigEnv() =>
        [.. (Env.Any(e => e.Key == "PATH") ? Env : Env.Prepend(new("PATH", DefaultPath))).Select(e => $"{e.Key}={e.Value}")];

    /// <summary>The config's `Cmd`: as given; `/bin/sh` when there is no entrypoint (or an empty one) either; else none.</summary>
    public IReadOnlyList<string>? ConfigCmd() => Cmd ?? (Entrypoint is { Count: > 0 } ? null : DefaultCmd);
}
