using System.CommandLine;
using Pkg2d.Image.Publish;

namespace Pkg2d.Commands;

/// <summary>`pkg2d lock`: resolve images now and write exactly what they hold, for building the same images later.</summary>
internal static class LockCommand
{
    public static Command Create(CommonOptions common)
    {
        var output = new Option<string>("--output", "-o") { Description = "The lock file to write (replaced atomically).", Required = true };
        var selection = new ImageSelection(builds: false);
        var command = new Command("lock", "Resolve images against the repositories and write a lock file: per image and arch the world and "
            + "every package's name, version, C: checksum, size and repository. `export --lock FILE` then builds exactly those packages.");
        common.AddTo(command, withArch: false);
        command.Options.Add(output);
        selection.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var path = Path.GetFullPath(result.GetValue(output)!);
            var locked = await Exporter.LockAsync(selection.Request(result, common), Cli.Warn, cancellationToken);
            locked.Write(path);
            Console.Error.WriteLine($"wrote {path}: {locked.Images.Count} image(s), {locked.Images.Sum(i => i.Packages.Count)} package(s)");
            return 0;
        });
        return command;
    }
}
