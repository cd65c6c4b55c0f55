using System.CommandLine;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Catalog;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Publish;

namespace Pkg2d.Commands;

/// <summary>
/// The options that say which images to build, shared by every command that builds or locks them: arches, base
/// world, images and an image file, and their settings; for commands that build, also the layer budget and a lock file.
/// </summary>
internal sealed class ImageSelection(bool builds)
{
    private readonly ImageSettingsOptions _settings = new();

    private readonly Option<string?> _file = new("--file", "-f")
    {
        Description = "An image file (YAML or JSON): per image its name, packages, arches and settings, plus paths and accounts. "
            + "Its images are built beside those named on the command line; its values win over the options'.",
    };

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
        Arity = ArgumentArity.ZeroOrMore,
    };

    private readonly Option<int> _maxLayers = new("--max-layers")
    {
        Description = "Layer budget per image, top layer included; the smallest packages are merged above it.",
        DefaultValueFactory = _ => ImageAssembler.DefaultMaxLayers,
    };

    private readonly Option<bool> _sbom = new("--sbom")
    {
        Description = "Attach each image's SPDX 2.3 document (its packages, licences, checksums and dependencies) as an OCI referrer.",
        DefaultValueFactory = _ => true,
    };

    private readonly Option<string?> _lock = new("--lock")
    {
        Description = "Build exactly the packages of this lock file (pkg2d lock) instead of resolving: no index is read.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(_arch);
        command.Options.Add(_base);
        command.Options.Add(_file);
        _settings.AddTo(command);
        if (builds)
        {
            command.Options.Add(_maxLayers);
            command.Options.Add(_sbom);
            command.Options.Add(_lock);
        }
        command.Arguments.Add(_images);
        // An unknown option would otherwise be taken for an image name.
        _images.Validators.Add(result =>
        {
            if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith('-')) is { } token)
                result.AddError($"unrecognized option '{token.Value}'");
        });
    }

    /// <summary>What to build (or resolve), from the command line; <paramref name="output"/> is where export writes.</summary>
    public ExportRequest Request(ParseResult result, CommonOptions common, string output = "")
    {
        var file = result.GetValue(_file) is { } path ? ImageFile.Read(path) : null;
        IReadOnlyList<ImageSpec> named = [.. result.GetValue(_images)!.Select(ImageSpec.Parse)];
        if (named.Count == 0 && file is null)
            throw new ArgumentException("no image to build: name one (NAME or NAME=WORLD) or give --file");
        return new ExportRequest
        {
            Output = output,
            Images = [.. named, .. file?.Images ?? []],
            Arches = [.. (result.GetValue(_arch) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
            BaseWorld = result.GetValue(_base) is { } given
                ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : ImageSpec.DefaultBase,
            Repositories = common.Read(result),
            Image = new ImageOptions
            {
                MaxLayers = builds ? result.GetValue(_maxLayers) : ImageAssembler.DefaultMaxLayers,
                Created = Cli.SourceDateEpoch(),
                Sbom = builds && result.GetValue(_sbom),
            },
            Settings = _settings.Read(result),
            Lock = builds && result.GetValue(_lock) is { } lockPath ? LockFile.Read(lockPath) : null,
        };
    }
}
