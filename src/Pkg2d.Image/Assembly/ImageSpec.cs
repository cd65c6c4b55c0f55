namespace Pkg2d.Image.Assembly;

/// <summary>
/// What an image holds, as written on the command line: `NAME` (the package NAME and its dependencies) or
/// `NAME=WORLD` with a comma-separated world (`dev=gcc,make,musl-dev`). The base world is added to every image.
/// </summary>
public sealed record ImageSpec(string Name, IReadOnlyList<string> World)
{
    /// <summary>Alpine's minirootfs world: a shell and apk in every image unless asked otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultBase =
        ["alpine-baselayout", "alpine-keys", "apk-tools", "busybox", "libc-utils"];

    public static ImageSpec Parse(string text)
    {
        var equals = text.IndexOf('=');
        var name = equals < 0 ? text : text[..equals];
        var world = equals < 0 ? [text] : text[(equals + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (name.Length == 0)
            throw new ArgumentException($"image '{text}': the name before '=' is empty");
        if (world.Length == 0)
            throw new ArgumentException($"image '{text}': the world after '=' is empty");
        return new ImageSpec(name, world);
    }

    /// <summary>The base world followed by this image's own entries, without repeats.</summary>
    public IReadOnlyList<string> WorldWith(IReadOnlyList<string> baseWorld) => [.. baseWorld.Concat(World).Distinct(StringComparer.Ordinal)];

    public override string ToString() => $"{Name}={string.Join(',', World)}";
}
