using System.CommandLine;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Catalog;
using Pkg2d.Image.Publish;

namespace Pkg2d.Commands;

/// <summary>
/// The options that say which images to build, shared by every command that resolves or builds them: arches, base
/// world and images; for commands that build, also the layer budget and a lock file.
/// </summary>
internal sealed class ImageSelection(bool builds)
{
    private readonly Option<string[]> _arch = new("--arch")
    {
        Description = "Alpine architecture(s), comma-separated or repeated; several make each image an OCI image index. Default: this machine's.",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string?> _base = new("--base")
    {
        Description = $"Comma-separated world added to every image; '' for bare images. Default: {string.Join(',', ImageSpec.DefaultBase)}.",
    };

    private readonly Argument<string[]> _images = new("image")
    {
        Description = "NAME (the package NAME and its dependencies) or NAME=WORLD with a comma-separated world, e.g. dev=gcc,make,musl-dev.",
        Arity = ArgumentArity.OneOrMore,
    };

    private readonly Option<int> _maxLayers = new("--max-layers")
    {
        Description = "Layer budget per image, top layer included; the smallest packages are merged above it.",
        DefaultValueFactory = _ => ImageAssembler.DefaultMaxLayers,
    };

    private readonly Option<string?> _lock = new("--lock")
    {
        Description = "Build exactly the packages of this lock file (pkg2d lock) instead of resolving: no index is read.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_arch);
        command.Options.Add(_base);
        if (builds)
        {
            command.Options.Add(_maxLayers);
            command.Options.Add(_lock);
        }
        command.Arguments.Add(_images);
    }

    /// <summary>What to build (or resolve), from the command line; <paramref name="output"/> is where export writes.</summary>
    public ExportRequest Request(ParseResult result, CommonOptions common, string output = "") => new()
    {
        Output = output,
        Images = [.. result.GetValue(_images)!.Select(ImageSpec.Parse)],
        Arches = [.. (result.GetValue(_arch) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
        BaseWorld = result.GetValue(_base) is { } given
            ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : ImageSpec.DefaultBase,
        Repositories = common.Read(result),
        Image = new ImageOptions { MaxLayers = builds ? result.GetValue(_maxLayers) : ImageAssembler.DefaultMaxLayers, Created = Cli.SourceDateEpoch() },
        Lock = builds && result.GetValue(_lock) is { } path ? LockFile.Read(path) : null,
    };
}
