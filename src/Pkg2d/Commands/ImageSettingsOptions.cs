using System.CommandLine;
using Pkg2d.Image.Definition;

namespace Pkg2d.Commands;

/// <summary>
/// What the images run and how (`--entrypoint`, `--user`, `--env`...), as Dockerfile instructions give it; the
/// settings of every image a command builds, unless its image file says otherwise.
/// </summary>
internal sealed class ImageSettingsOptions
{
    private readonly Option<string?> _entrypoint = new("--entrypoint")
    {
        Description = "What the container runs: a JSON array (e.g. '[\"wget\",\"-q\"]') or one word. Replaces the default command /bin/sh.",
    };

    private readonly Option<string?> _cmd = new("--cmd")
    {
        Description = "The command, or the entrypoint's default arguments: a JSON array or one word. Default: /bin/sh without --entrypoint, none with it.",
    };

    private readonly Option<string[]> _env = Repeated("--env", "An environment variable KEY=VALUE. Repeatable; PATH replaces the default PATH.");
    private readonly Option<string?> _user = new("--user") { Description = "Run as NAME[:GROUP] or UID[:GID]; names must be in the image's accounts." };

    private readonly Option<string?> _workdir = new("--workdir")
    {
        Description = "The working directory (absolute); made in the top layer, owned by --user, when the image lacks it.",
    };

    private readonly Option<string[]> _label = Repeated("--label", "A label KEY=VALUE in the image config. Repeatable.");
    private readonly Option<string[]> _annotation = Repeated("--annotation", "An annotation KEY=VALUE on the image manifest. Repeatable.");
    private readonly Option<string[]> _expose = Repeated("--expose", "A port the image listens on, PORT[/tcp|udp] (tcp when not given). Repeatable.");
    private readonly Option<string[]> _volume = Repeated("--volume", "A directory (absolute) that holds data outside the container. Repeatable.");
    private readonly Option<string?> _stopSignal = new("--stop-signal") { Description = "The signal that stops the container, e.g. SIGINT or 2 (the runtime's default: SIGTERM)." };

    private static Option<string[]> Repeated(string name, string description) =>
        new(name) { Description = description, AllowMultipleArgumentsPerToken = false };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _entrypoint, _cmd, _env, _user, _workdir, _label, _annotation, _expose, _volume, _stopSignal })
            command.Options.Add(option);
    }

    /// <summary>The settings given; each value is checked for its form here, against the image when it is built.</summary>
    public ImageSettings Read(ParseResult result)
    {
        string[] Values(Option<string[]> option) => result.GetValue(option) ?? [];
        IReadOnlyList<string>? List(Option<string[]> option, Func<string, string, string> check) =>
            Values(option) is { Length: > 0 } values ? [.. values.Select(v => check(v, option.Name))] : null;
        return new ImageSettings
        {
            Entrypoint = result.GetValue(_entrypoint) is { } entrypoint ? SettingSyntax.Command(entrypoint, _entrypoint.Name) : null,
            Cmd = result.GetValue(_cmd) is { } cmd ? SettingSyntax.Command(cmd, _cmd.Name) : null,
            Env = ImageSettings.Merge([], Values(_env).Select(e => SettingSyntax.Pair(e, _env.Name))),
            User = result.GetValue(_user) is { } user ? SettingSyntax.User(user, _user.Name) : null,
            WorkingDir = result.GetValue(_workdir) is { } workdir ? SettingSyntax.AbsolutePath(workdir, _workdir.Name) : null,
            Labels = ImageSettings.Merge([], Values(_label).Select(l => SettingSyntax.Pair(l, _label.Name))),
            Annotations = ImageSettings.Merge([], Values(_annotation).Select(a => SettingSyntax.Pair(a, _annotation.Name))),
            ExposedPorts = List(_expose, SettingSyntax.Port),
            Volumes = List(_volume, SettingSyntax.AbsolutePath),
            StopSignal = result.GetValue(_stopSignal) is { } signal ? SettingSyntax.Signal(signal, _stopSignal.Name) : null,
        };
    }
}
