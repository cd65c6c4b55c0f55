using System.Collections;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Pkg2d.Serve;

/// <summary>Builds the host of <c>pkg2d serve</c>: configuration, logging, systemd integration, the mount and the registry.</summary>
public static class ServeHost
{
    public const string DefaultConfigFile = "/etc/pkg2d/pkg2d.json";
    public const string EnvironmentPrefix = "PKG2D_";

    private static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--mount"] = nameof(ServeOptions.MountPoint),
        ["--cache"] = nameof(ServeOptions.CacheDirectory),
        ["--cache-size"] = nameof(ServeOptions.CacheSize),
        ["--allow-other"] = nameof(ServeOptions.AllowOther),
        ["--on-demand"] = nameof(ServeOptions.OnDemand),
        ["--log-level"] = nameof(ServeOptions.LogLevel),
        ["--refresh"] = nameof(ServeOptions.Refresh),
        ["--retain"] = nameof(ServeOptions.Retain),
        ["--tls-cert"] = nameof(ServeOptions.TlsCertificate),
        ["--tls-key"] = nameof(ServeOptions.TlsKey),
    };

    /// <summary>Repeatable switches whose values, when given, replace the configured list.</summary>
    private static readonly string[] Lists = ["--image", "--listen"];

    /// <summary>
    /// A host builder with, from lowest to highest precedence: <paramref name="configFile"/> (required when given;
    /// else <see cref="DefaultConfigFile"/>, optional), environment variables <c>PKG2D_KEY</c> (for
    /// <c>pkg2d:Key</c>; <c>__</c> separates levels, e.g. <c>PKG2D_IMAGES__0</c>), and <paramref name="args"/>:
    /// <c>--mount DIR --listen ADDRESS:PORT... --tls-cert FILE --tls-key FILE --cache DIR --cache-size SIZE --image IMAGE...
    /// --allow-other BOOL --on-demand BOOL --refresh DURATION --retain DURATION --log-level LEVEL</c> (images and addresses given there replace the configured
    /// lists) or any <c>--pkg2d:Key=value</c>. The mount and the registry share one provider and one blob cache.
    /// Logs to the console, in the journal's format when systemd runs the process. When systemd runs it or
    /// NOTIFY_SOCKET is set, the lifetime speaks sd_notify: READY=1 once the mount and the registry serve, STOPPING=1 on stop.
    /// SIGTERM and SIGINT stop the host gracefully (unmount, exit 0); SIGHUP refreshes a refreshing provider (see
    /// <see cref="RefreshService"/>). Run it with <c>builder.Build().RunAsync()</c>.
    /// </summary>
    /// <param name="defaults">Settings below everything else (`pkg2d:CacheDirectory` for the user running it).</param>
    /// <exception cref="FormatException">A configuration value does not parse, or there is nothing to serve.</exception>
    public static HostApplicationBuilder CreateBuilder(string[] args, string? configFile, Func<IServiceProvider, ILayoutProvider> provider,
        IReadOnlyDictionary<string, string?>? defaults = null)
    {
        // The daemon reads no file relative to its working directory, which may be one its user cannot read.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = "/" });
        var (switches, lists, rest) = SplitArguments(args);
        builder.Configuration
            .AddInMemoryCollection(defaults ?? new Dictionary<string, string?>())
            .AddJsonFile(Path.GetFullPath(configFile ?? DefaultConfigFile), optional: configFile is null, reloadOnChange: false)
            .AddInMemoryCollection(FromEnvironment(Environment.GetEnvironmentVariables()))
            .AddInMemoryCollection(switches)
            .AddCommandLine(rest);

        var options = ServeOptions.FromConfiguration(builder.Configuration);
        if (lists["--image"] is { Count: > 0 } images)
            options = options with { Images = images };
        if (lists["--listen"] is { Count: > 0 } listen)
            options = options with { Listen = listen.Select(ServeOptions.ParseEndPoint).ToArray() };
        options.Validate();

        var underSystemd = SystemdHelpers.IsSystemdService();
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.SetMinimumLevel(options.LogLevel);
        // ASP.NET Core logs two lines per request at Information: that doubles a manifest HEAD's cost and fills the
        // journal. Its warnings stay; Debug and Trace show everything.
        builder.Logging.AddFilter("Microsoft.AspNetCore", options.LogLevel < LogLevel.Information ? options.LogLevel : LogLevel.Warning);
        // A start that fails is reported once, as one line, by the command; the host's own report of it carries a
        // stack trace, which only Debug shows.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", options.LogLevel <= LogLevel.Debug ? options.LogLevel : LogLevel.None);
        if (underSystemd || Environment.GetEnvironmentVariable("JOURNAL_STREAM") is not null)
            builder.Logging.AddConsole(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        else
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });

        // As UseSystemd does, but also for a notify socket given by anyone else than systemd (tests, supervisors).
        if (underSystemd || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(provider);
        builder.Services.AddSingleton(sp => new BlobCache(Path.Combine(options.CacheDirectory, "blobs"), options.CacheSize, sp.GetService<ILogger<BlobCache>>()));
        builder.Services.AddSingleton<RefreshService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RefreshService>());
        if (options.MountPoint is not null)
        {
            builder.Services.AddSingleton<LayoutFileSystem>();
            builder.Services.AddSingleton<MountService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<MountService>());
        }
        if (options.Listen.Count > 0)
        {
            builder.Services.AddSingleton<Registry.RegistryContent>();
            builder.Services.AddSingleton<Registry.RegistryHandler>();
            builder.Services.AddSingleton<Registry.RegistryService>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Registry.RegistryService>());
        }
        return builder;
    }

    /// <summary>Environment variables <c>PKG2D_A__B=v</c> as configuration <c>pkg2d:A:B=v</c>.</summary>
    internal static Dictionary<string, string?> FromEnvironment(IDictionary variables)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry variable in variables)
        {
            if (variable.Key is string name && name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)
                && name.Length > EnvironmentPrefix.Length)
                values[$"{ServeOptions.SectionName}:{name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)}"] =
                    variable.Value as string;
        }
        return values;
    }

    /// <summary>The serve switches as configuration, the values of each repeatable switch, and what is left for the command-line provider.</summary>
    internal static (Dictionary<string, string?> Switches, Dictionary<string, List<string>> Lists, string[] Remaining) SplitArguments(string[] args)
    {
        var switches = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var lists = Lists.ToDictionary(name => name, _ => new List<string>(), StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var argument = args[i];
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var name = equals > 0 ? argument[..equals] : argument;
            if (!lists.ContainsKey(name) && !Switches.ContainsKey(name))
            {
                rest.Add(argument);
                continue;
            }
            string value;
            if (equals > 0)
                value = argument[(equals + 1)..];
            else if (i + 1 < args.Length)
                value = args[++i];
            else
                throw new FormatException($"the option {name} needs a value");
            if (lists.TryGetValue(name, out var list))
                list.Add(value);
            else
                switches[$"{ServeOptions.SectionName}:{Switches[name]}"] = value;
        }
        return (switches, lists, rest.ToArray());
    }
}
