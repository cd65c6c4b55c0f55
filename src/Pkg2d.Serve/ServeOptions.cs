using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Pkg2d.Serve;

/// <summary>
/// What <c>pkg2d serve</c> does, from the configuration section <c>pkg2d</c> (see systemd/pkg2d.json):
/// <code>
/// { "pkg2d": { "MountPoint": "/mnt/pkg2", "Listen": [ "127.0.0.1:5000" ], "CacheDirectory": "/var/cache/pkg2d",
///              "CacheSize": "10G", "AllowOther": true, "Images": [ "gcc", "python3" ], "Lock": null, "OnDemand": true,
///              "MaxWorldEntries": 16, "MaxImages": 256, "MaxResolving": 2, "ResolvingWait": 30, "Refresh": "1h",
///              "Retain": "24h", "LogLevel": "Information" } }
/// </code>
/// At least one of <see cref="MountPoint"/> and <see cref="Listen"/> must be given.
/// </summary>
public sealed record ServeOptions
{
    public const string SectionName = "pkg2d";

    /// <summary>Where to mount the layout over FUSE; null serves no mount.</summary>
    public string? MountPoint { get; init; }

    /// <summary>Addresses (<c>ADDRESS:PORT</c>, IPv6 in brackets) where the OCI distribution API is served.</summary>
    public IReadOnlyList<IPEndPoint> Listen { get; init; } = [];

    /// <summary>PEM certificate (chain) for HTTPS on every <see cref="Listen"/> address; null serves plain HTTP.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertificate"/>.</summary>
    public string? TlsKey { get; init; }

    /// <summary>The daemon's cache; `pkg2d serve` gives every user's default below the configuration (see <see cref="ServeHost.CreateBuilder"/>).</summary>
    public string CacheDirectory { get; init; } = "/var/cache/pkg2d";

    /// <summary>The blob cache's limit in bytes (configured as e.g. <c>10G</c> or <c>512M</c>, see <see cref="ByteSize"/>).</summary>
    public long CacheSize { get; init; } = 10L << 30;

    /// <summary>
    /// Whether users other than the one mounting may read the mount: by default yes for root (a system daemon), no
    /// for anyone else, whom fusermount3 allows it only with `user_allow_other` in /etc/fuse.conf.
    /// </summary>
    public bool AllowOther { get; init; } = Environment.IsPrivilegedProcess;

    /// <summary>The images to serve at the top level, as the layout provider understands them.</summary>
    public IReadOnlyList<string> Images { get; init; } = [];

    /// <summary>
    /// Whether looking up any other name builds an image on demand (`/python3/`, `HOST/gcc/make:latest`). Every
    /// reader of the mount or client of the registry can then make the daemon download packages; false serves
    /// only the configured and remembered images.
    /// </summary>
    public bool OnDemand { get; init; } = true;

    /// <summary>A lock file (pkg2d lock): the configured images it has are built from exactly its packages, reading no index.</summary>
    public string? Lock { get; init; }

    /// <summary>The most entries (packages) an on-demand world may name; a longer one is refused before anything is resolved.</summary>
    public int MaxWorldEntries { get; init; } = 16;

    /// <summary>
    /// The most on-demand images remembered (in memory and in the catalog); beyond it the least recently used are
    /// forgotten. Configured images do not count.
    /// </summary>
    public int MaxImages { get; init; } = 256;

    /// <summary>The most on-demand worlds resolved at once; others wait up to <see cref="ResolvingWait"/>, then are refused for now.</summary>
    public int MaxResolving { get; init; } = 2;

    /// <summary>How long an on-demand world waits for a free resolution slot (configured in seconds).</summary>
    public TimeSpan ResolvingWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the repositories' indexes are checked; when one changed, every image not locked is resolved again and
    /// the new manifests are published at once. Zero checks only when asked (SIGHUP, <c>systemctl reload</c>).
    /// </summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a replaced or forgotten image stays readable by digest; after that, what no image references is
    /// removed from the caches.
    /// </summary>
    public TimeSpan Retain { get; init; } = TimeSpan.FromHours(24);

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Reads the <c>pkg2d</c> section; a value that does not parse is an error naming its key.</summary>
    public static ServeOptions FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var defaults = new ServeOptions();
        return new ServeOptions
        {
            MountPoint = NonEmpty(section, nameof(MountPoint)),
            Listen = List(section, nameof(Listen)).Select(text => Parse(section, nameof(Listen), text, ParseEndPoint)).ToArray(),
            TlsCertificate = NonEmpty(section, nameof(TlsCertificate)),
            TlsKey = NonEmpty(section, nameof(TlsKey)),
            CacheDirectory = NonEmpty(section, nameof(CacheDirectory)) ?? defaults.CacheDirectory,
            CacheSize = Parse(section, nameof(CacheSize), ByteSize.Parse) ?? defaults.CacheSize,
            AllowOther = Parse(section, nameof(AllowOther), bool.Parse) ?? defaults.AllowOther,
            Images = List(section, nameof(Images)),
            OnDemand = Parse(section, nameof(OnDemand), bool.Parse) ?? defaults.OnDemand,
            Lock = NonEmpty(section, nameof(Lock)),
            MaxWorldEntries = Parse(section, nameof(MaxWorldEntries), Positive) ?? defaults.MaxWorldEntries,
            MaxImages = Parse(section, nameof(MaxImages), Positive) ?? defaults.MaxImages,
            MaxResolving = Parse(section, nameof(MaxResolving), Positive) ?? defaults.MaxResolving,
            ResolvingWait = Parse(section, nameof(ResolvingWait), v => TimeSpan.FromSeconds(Positive(v))) ?? defaults.ResolvingWait,
            Refresh = Parse(section, nameof(Refresh), Duration.Parse) ?? defaults.Refresh,
            Retain = Parse(section, nameof(Retain), Duration.Parse) ?? defaults.Retain,
            LogLevel = Parse(section, nameof(LogLevel), v => Enum.Parse<LogLevel>(v, ignoreCase: true)) ?? defaults.LogLevel,
        };
    }

    /// <summary>Checks what only the options together can say: there is something to serve, TLS has both halves.</summary>
    /// <exception cref="FormatException">They cannot work together.</exception>
    public void Validate()
    {
        if (MountPoint is null && Listen.Count == 0)
            throw new FormatException("nothing to serve: give a mount point (--mount DIR, configuration MountPoint), "
                + "an address for the registry (--listen ADDRESS:PORT, configuration Listen), or both");
        if ((TlsCertificate is null) != (TlsKey is null))
            throw new FormatException("HTTPS needs both a certificate and its key (--tls-cert FILE --tls-key FILE)");
        if (TlsCertificate is not null && Listen.Count == 0)
            throw new FormatException("a TLS certificate was given but no address to listen on (--listen ADDRESS:PORT)");
    }

    /// <summary><c>ADDRESS:PORT</c> with an explicit port; an IPv6 address in brackets, as in <c>[::1]:5000</c>.</summary>
    public static IPEndPoint ParseEndPoint(string text)
    {
        if (!IPEndPoint.TryParse(text, out var endPoint) || !text.EndsWith($":{endPoint.Port}", StringComparison.Ordinal)
            || (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && !text.StartsWith('[')))
            throw new FormatException($"'{text}' is not ADDRESS:PORT such as 127.0.0.1:5000 or [::1]:5000");
        return endPoint;
    }

    private static int Positive(string text) =>
        int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) is > 0 and var value
            ? value
            : throw new FormatException("it must be at least 1");

    private static string? NonEmpty(IConfigurationSection section, string key) =>
        section[key] is { Length: > 0 } value ? value : null;

    /// <summary>A list given as a JSON array (or <c>Key:0</c>, <c>Key:1</c>...) or as a single string.</summary>
    private static string[] List(IConfigurationSection section, string key)
    {
        var list = section.GetSection(key);
        return list.Value is { Length: > 0 } single
            ? [single]
            : list.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToArray();
    }

    private static T? Parse<T>(IConfigurationSection section, string key, Func<string, T> parse) where T : struct =>
        NonEmpty(section, key) is { } value ? Parse(section, key, value, parse) : null;

    private static T Parse<T>(IConfigurationSection section, string key, string value, Func<string, T> parse)
    {
        try
        {
            return parse(value.Trim());
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new FormatException($"configuration {section.Path}:{key}: '{value}' is not valid ({e.Message})", e);
        }
    }
}
