using System.CommandLine;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Publish;

namespace Pkg2d.Commands;

/// <summary>`pkg2d export`: images from package lists, written as an OCI layout, an oci-archive or a docker-archive.</summary>
internal static class ExportCommand
{
    public static Command Create(CommonOptions common)
    {
        var output = new Option<string>("--out", "-o") { Description = "Where to write: a new folder (oci) or a file (archives).", Required = true };
        var arch = new Option<string[]>("--arch")
        {
            Description = "Alpine architecture(s), comma-separated or repeated; several make each image an OCI image index. Default: this machine's.",
            AllowMultipleArgumentsPerToken = false,
        };
        var format = new Option<string>("--format") { Description = "oci (a layout folder), oci-archive or docker-archive.", DefaultValueFactory = _ => "oci" };
        format.AcceptOnlyFromAmong("oci", "oci-archive", "docker-archive");
        var baseWorld = new Option<string?>("--base")
        {
            Description = $"Comma-separated world added to every image; '' for bare images. Default: {string.Join(',', ImageSpec.DefaultBase)}.",
        };
        var maxLayers = new Option<int>("--max-layers")
        {
            Description = "Layer budget per image, top layer included; the smallest packages are merged above it.",
            DefaultValueFactory = _ => ImageAssembler.DefaultMaxLayers,
        };
        var images = new Argument<string[]>("image")
        {
            Description = "NAME (the package NAME and its dependencies) or NAME=WORLD with a comma-separated world, e.g. dev=gcc,make,musl-dev.",
            Arity = ArgumentArity.OneOrMore,
        };

        var command = new Command("export", "Build images from Alpine packages, one layer per package plus a top layer with the apk database, "
            + "and write them without a kernel mount or a registry.");
        common.AddTo(command, withArch: false);
        command.Options.Add(output);
        command.Options.Add(arch);
        command.Options.Add(format);
        command.Options.Add(baseWorld);
        command.Options.Add(maxLayers);
        command.Arguments.Add(images);
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = new ExportRequest
            {
                Output = Path.GetFullPath(result.GetValue(output)!),
                Format = result.GetValue(format) switch
                {
                    "oci-archive" => ExportFormat.OciArchive,
                    "docker-archive" => ExportFormat.DockerArchive,
                    _ => ExportFormat.Oci,
                },
                Images = [.. result.GetValue(images)!.Select(ImageSpec.Parse)],
                Arches = [.. (result.GetValue(arch) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
                BaseWorld = result.GetValue(baseWorld) is { } given
                    ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    : ImageSpec.DefaultBase,
                Repositories = common.Read(result),
                Image = new ImageOptions { MaxLayers = result.GetValue(maxLayers), Created = Cli.SourceDateEpoch() },
            };
            var summary = await Exporter.ExportAsync(request, Cli.Warn, cancellationToken);
            Console.Error.WriteLine($"wrote {request.Output}: {summary.Images} image(s) for {summary.Platforms} platform(s), "
                + $"{summary.Layers} layer blob(s), {summary.Blobs} blobs, {Cli.Bytes(summary.Bytes)}; "
                + $"package facts: {summary.FactsFromCache} from the metadata cache, {summary.FactsLearned} learned");
            return 0;
        });
        return command;
    }
}
