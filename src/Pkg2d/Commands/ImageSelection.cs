using System.CommandLine;
using Pkg2d.Image.Assembly;

namespace Pkg2d.Commands;

/// <summary>The options that say which images to build, shared by every command that builds them: arches, base world, images.</summary>
internal sealed class ImageSelection
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

    public void AddTo(Command command)
    {
        command.Options.Add(_arch);
        command.Options.Add(_base);
        command.Arguments.Add(_images);
    }

    public IReadOnlyList<ImageSpec> Images(ParseResult result) => [.. result.GetValue(_images)!.Select(ImageSpec.Parse)];

    public IReadOnlyList<string> Arches(ParseResult result) =>
        [.. (result.GetValue(_arch) ?? []).SelectMany(a => a.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    public IReadOnlyList<string> BaseWorld(ParseResult result) => result.GetValue(_base) is { } given
        ? given.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : ImageSpec.DefaultBase;
}
