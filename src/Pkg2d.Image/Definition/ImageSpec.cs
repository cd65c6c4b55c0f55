namespace Pkg2d.Image.Definition;

/// <summary>
/// What an image holds, as written on the command line: `NAME` (the package NAME and its dependencies) or
/// `NAME=WORLD` with a comma-separated world (`dev=gcc,make,musl-dev`), or as an image file gives it. The base
/// world is added to every image.
/// </summary>
public sealed record ImageSpec(string Name, IReadOnlyList<string> World)
{
    /// <summary>What the image runs and what is added to its root; unset fields take the command's settings.</summary>
    public ImageSettings Settings { get; init; } = ImageSettings.None;

    /// <summary>The arches to build it for; null: the command's.</summary>
    public IReadOnlyList<string>? Arches { get; init; }

    /// <summary>The base world under its own (empty: none); null: the command's.</summary>
    public IReadOnlyList<string>? BaseWorld { get; init; }

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

    /// <summary>The base world (the image's own, else <paramref name="baseWorld"/>) followed by this image's entries, without repeats.</summary>
    public IReadOnlyList<string> WorldWith(IReadOnlyList<string> baseWorld) => [.. (BaseWorld ?? baseWorld).Concat(World).Distinct(StringComparer.Ordinal)];

    public override string ToString() => $"{Name}={string.Join(',', World)}";
}
