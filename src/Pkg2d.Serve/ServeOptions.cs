using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Pkg2d.Serve;

/// <summary>
/// What <c>pkg2d serve</c> does, from the configuration section <c>pkg2d</c> (see systemd/pkg2d.json):
/// <code>
/// { "pkg2d": { "MountPoint": "/mnt/pkg2", "CacheDirectory": "/var/cache/pkg2d", "CacheSize": "10G",
///              "AllowOther": true, "Images": [ "gcc", "python3" ], "OnDemand": true, "LogLevel": "Information" } }
/// </code>
/// </summary>
public sealed record ServeOptions
{
    public const string SectionName = "pkg2d";

    public string MountPoint { get; init; } = "/mnt/pkg2";

    public string CacheDirectory { get; init; } = "/var/cache/pkg2d";

    /// <summary>The blob cache's limit in bytes (configured as e.g. <c>10G</c> or <c>512M</c>, see <see cref="ByteSize"/>).</summary>
    public long CacheSize { get; init; } = 10L << 30;

    /// <summary>Whether users other than root may read the mount.</summary>
    public bool AllowOther { get; init; } = true;

    /// <summary>The images to serve at the top level, as the layout provider understands them.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary>
    /// Whether looking up any other name builds an image on demand (`/python3/`). Every reader of the mount can then
    /// make the daemon download packages; false serves only the configured and remembered images.
    /// </summary>
    public bool OnDemand { get; init; } = true;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Reads the <c>pkg2d</c> section; a value that does not parse is an error naming its key.</summary>
    public static ServeOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new ServeOptions();
        var images = section.GetSection(nameof(Images));
        return new ServeOptions
        {
            MountPoint = NonEmpty(section, nameof(MountPoint)) ?? defaults.MountPoint,
            CacheDirectory = NonEmpty(section, nameof(CacheDirectory)) ?? defaults.CacheDirectory,
            CacheSize = Parse(section, nameof(CacheSize), ByteSize.Parse) ?? defaults.CacheSize,
            AllowOther = Parse(section, nameof(AllowOther), bool.Parse) ?? defaults.AllowOther,
            Images = images.Value is { Length: > 0 } single
                ? [single]
                : images.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToArray(),
            OnDemand = Parse(section, nameof(OnDemand), bool.Parse) ?? defaults.OnDemand,
            LogLevel = Parse(section, nameof(LogLevel), v => Enum.Parse<LogLevel>(v, ignoreCase: true)) ?? defaults.LogLevel,
        };
    }

    private static string? NonEmpty(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } value ? value : null;

    private static T? Parse<T>(IConfigurationSection section, string key, Func<string, T> parse) where T : struct
    {
        if (NonEmpty(section, key) is not { } value)
            return null;
        try
        {
            return parse(value.Trim());
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new FormatException($"configuration {section.Path}:{key}: '{value}' is not valid ({e.Message})", e);
        }
    }
}
