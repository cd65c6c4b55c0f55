using System.CommandLine;
using Pkg2d.Image.Publish;

namespace Pkg2d.Commands;

/// <summary>`pkg2d export`: images from package lists, written as an OCI layout, an oci-archive or a docker-archive.</summary>
internal static class ExportCommand
{
    public static Command Create(CommonOptions common)
    {
        var output = new Option<string>("--out", "-o") { Description = "Where to write: a new folder (oci) or a file (archives).", Required = true };
        var selection = new ImageSelection(builds: true);
        var format = new Option<string>("--format") { Description = "oci (a layout folder), oci-archive or docker-archive.", DefaultValueFactory = _ => "oci" };
        format.AcceptOnlyFromAmong("oci", "oci-archive", "docker-archive");
        var command = new Command("export", "Build images from Alpine packages, one layer per package plus a top layer with the apk database, "
            + "and write them without a kernel mount or a registry.");
        common.AddTo(command, withArch: false);
        command.Options.Add(output);
        command.Options.Add(format);
        selection.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var request = selection.Request(result, common, Path.GetFullPath(result.GetValue(output)!)) with
            {
                Format = result.GetValue(format) switch
                {
                    "oci-archive" => ExportFormat.OciArchive,
                    "docker-archive" => ExportFormat.DockerArchive,
                    _ => ExportFormat.Oci,
                },
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
