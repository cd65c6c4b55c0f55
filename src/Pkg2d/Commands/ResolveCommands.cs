using System.CommandLine;
using System.Text.Json;
using Pkg2d.Fetch;

namespace Pkg2d.Commands;

/// <summary>`pkg2d resolve` and `pkg2d fetch`: the solution for a world, and its verified package files.</summary>
internal static class ResolveCommands
{
    public static Command Resolve(CommonOptions common)
    {
        var world = WorldArgument();
        var format = new Option<string>("--format") { Description = "Output format: text (name version per line) or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("resolve", "Print the packages `apk add WORLD...` would install on an empty root, in install order.");
        common.AddTo(command);
        command.Options.Add(format);
        command.Arguments.Add(world);
        command.SetAction(async (result, cancellationToken) =>
        {
            using var source = await ApkSource.OpenAsync(common.Read(result), Cli.Warn, cancellationToken);
            var packages = source.Resolve(result.GetValue(world)!).Packages;
            var output = Console.Out;
            if (result.GetValue(format) == "json")
            {
                await using var stdout = Console.OpenStandardOutput();
                await using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
                json.WriteStartArray();
                foreach (var p in packages)
                {
                    json.WriteStartObject();
                    json.WriteString("name", p.Name);
                    json.WriteString("version", p.Version);
                    json.WriteString("arch", p.Arch);
                    json.WriteNumber("size", p.Size);
                    json.WriteNumber("installedSize", p.InstalledSize);
                    json.WriteString("checksum", p.Checksum?.Text);
                    json.WriteString("repository", p.Repository);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                await json.FlushAsync(cancellationToken);
                await stdout.WriteAsync("\n"u8.ToArray(), cancellationToken);
            }
            else
            {
                foreach (var p in packages)
                    await output.WriteLineAsync($"{p.Name} {p.Version}");
            }
            return 0;
        });
        return command;
    }

    public static Command Fetch(CommonOptions common)
    {
        var world = WorldArgument();
        var command = new Command("fetch", "Resolve WORLD..., download every package of the solution into the cache and verify each "
            + "(size, C: checksum, signature, datahash). Prints 'name version path' per package.");
        common.AddTo(command);
        command.Arguments.Add(world);
        command.SetAction(async (result, cancellationToken) =>
        {
            using var source = await ApkSource.OpenAsync(common.Read(result), Cli.Warn, cancellationToken);
            var packages = source.Resolve(result.GetValue(world)!).Packages;
            var fetched = await source.FetchAsync(packages, cancellationToken);
            foreach (var f in fetched)
                await Console.Out.WriteLineAsync($"{f.Entry.Name} {f.Entry.Version} {f.Path}");
            var downloaded = fetched.Where(f => f.Downloaded).ToArray();
            Console.Error.WriteLine($"{fetched.Count} packages verified in {source.Cache.PackagesDir}: {downloaded.Length} downloaded "
                + $"({Cli.Bytes(downloaded.Sum(f => f.Entry.Size))}), {fetched.Count - downloaded.Length} from the cache");
            return 0;
        });
        return command;
    }

    private static Argument<string[]> WorldArgument() => new("world")
    {
        Description = "World entries: names, `name>=1.2`, `so:libz.so.1`, `cmd:ls`, `/bin/sh`, `name@tag`, `!conflict`.",
        Arity = ArgumentArity.OneOrMore,
    };
}
