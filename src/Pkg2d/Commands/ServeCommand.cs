using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pkg2d.Fetch;
using Pkg2d.Image.Catalog;
using Pkg2d.Serve;
using Pkg2d.Serving;

namespace Pkg2d.Commands;

/// <summary>`pkg2d serve`: the daemon that mounts the virtual OCI layout and serves it as a registry.</summary>
internal static class ServeCommand
{
    public static Command Create(CommonOptions common)
    {
        var config = new Option<string?>("--config") { Description = $"Configuration file (JSON); default: {ServeHost.DefaultConfigFile} when it exists." };
        var mount = new Option<string?>("--mount") { Description = "Mount point of the OCI layout (e.g. /mnt/pkg2)." };
        var listen = new Option<string[]>("--listen")
        {
            Description = "Serve the OCI distribution API (a read-only registry) at ADDRESS:PORT, e.g. 127.0.0.1:5000 or [::1]:5000. "
                + "Repeatable; replaces the configured list. At least one of --mount and --listen is needed.",
            AllowMultipleArgumentsPerToken = false,
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (chain) for HTTPS on the --listen addresses." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var cacheSize = new Option<string?>("--cache-size") { Description = "Size limit of the layer blob cache, e.g. 10G or 512M (least recently used blobs go first)." };
        var image = new Option<string[]>("--image")
        {
            Description = "An image for the top level, NAME or NAME=WORLD as in export. Repeatable; replaces the configured list.",
            AllowMultipleArgumentsPerToken = false,
        };
        var imageFile = new Option<string?>("--file", "-f")
        {
            Description = "An image file (YAML or JSON, as export takes it): its images are served at the top level beside the others.",
        };
        var allowOther = new Option<bool?>("--allow-other") { Description = "Let other users read the mount (default: true as root; false otherwise, where true needs user_allow_other in /etc/fuse.conf)." };
        var onDemand = new Option<bool?>("--on-demand")
        {
            Description = "Build an image for any name looked up, /<world>/ (default true); false serves only configured and remembered images.",
        };
        var lockFile = new Option<string?>("--lock")
        {
            Description = "Build the configured images this lock file (pkg2d lock) has from exactly its packages, reading no index for them.",
        };
        var maxWorldEntries = new Option<int?>("--max-world-entries")
        {
            Description = "The most packages an on-demand world may name (default 16); a longer one is not found.",
        };
        var maxImages = new Option<int?>("--max-images")
        {
            Description = "The most on-demand images remembered (default 256); beyond it the least recently used are forgotten. Configured images do not count.",
        };
        var maxResolving = new Option<int?>("--max-resolving")
        {
            Description = "The most on-demand worlds resolved at once (default 2); others wait up to 30 s (ResolvingWait), "
                + "then the registry answers 429 and the mount EAGAIN.",
        };
        var refresh = new Option<string?>("--refresh")
        {
            Description = "How often the repositories' indexes are checked, e.g. 30m, 1h (default), 1d; 0 checks only on SIGHUP "
                + "(systemctl reload). When one changed, every image not locked is resolved again and the changed ones are published at once.",
        };
        var retain = new Option<string?>("--retain")
        {
            Description = "How long a replaced or forgotten image stays readable by digest (default 24h); then what no image "
                + "references is removed from the caches.",
        };
        var logLevel = new Option<string?>("--log-level") { Description = "Trace, Debug, Information, Warning, Error or Critical." };

        var command = new Command("serve", "Serve images built from Alpine packages on demand, as a read-only OCI layout mounted over FUSE "
            + "(/index.json names the configured images, /<world>/ is a layout for any package list) and/or as a read-only registry "
            + "(HOST:PORT/NAME:latest for a configured image, HOST:PORT/gcc/make:latest for the packages gcc and make). "
            + "Refreshes on SIGHUP and every --refresh; stops cleanly on SIGTERM/SIGINT.");
        common.AddTo(command);
        foreach (var option in new Option[] { config, mount, listen, tlsCert, tlsKey, cacheSize, image, imageFile, lockFile, allowOther, onDemand,
            maxWorldEntries, maxImages, maxResolving, refresh, retain, logLevel })
            command.Options.Add(option);
        command.SetAction(async (result, _) =>
        {
            var args = new List<string>();
            void Add(string name, string? value)
            {
                if (value is not null)
                    args.AddRange([name, value]);
            }
            Add("--mount", result.GetValue(mount));
            foreach (var address in result.GetValue(listen) ?? [])
                Add("--listen", address);
            Add("--tls-cert", result.GetValue(tlsCert));
            Add("--tls-key", result.GetValue(tlsKey));
            Add("--cache", result.GetValue(common.Cache));
            Add("--cache-size", result.GetValue(cacheSize));
            Add("--allow-other", result.GetValue(allowOther)?.ToString());
            Add("--on-demand", result.GetValue(onDemand)?.ToString());
            Add("--refresh", result.GetValue(refresh));
            Add("--retain", result.GetValue(retain));
            Add("--log-level", result.GetValue(logLevel));
            // Passed as configuration keys, which the host reads like any other setting.
            Add($"--{ServeOptions.SectionName}:{nameof(ServeOptions.Lock)}", result.GetValue(lockFile));
            Add($"--{ServeOptions.SectionName}:{ConfiguredImages.ImageFileKey}", result.GetValue(imageFile) is { } file ? Path.GetFullPath(file) : null);
            Add($"--{ServeOptions.SectionName}:{nameof(ServeOptions.MaxWorldEntries)}", result.GetValue(maxWorldEntries)?.ToString(CultureInfo.InvariantCulture));
            Add($"--{ServeOptions.SectionName}:{nameof(ServeOptions.MaxImages)}", result.GetValue(maxImages)?.ToString(CultureInfo.InvariantCulture));
            Add($"--{ServeOptions.SectionName}:{nameof(ServeOptions.MaxResolving)}", result.GetValue(maxResolving)?.ToString(CultureInfo.InvariantCulture));
            foreach (var value in result.GetValue(image) ?? [])
                Add("--image", value);
            var repositories = common.Read(result);
            AddList(args, "Repositories", repositories.Repositories);
            AddList(args, "KeysDirs", repositories.KeysDirs);
            Add("--pkg2d:RepositoriesFile", repositories.RepositoriesFile);
            Add("--pkg2d:Arch", repositories.Arch);
            if (repositories.AllowUntrusted)
                Add("--pkg2d:AllowUntrusted", "true");
            if (repositories.Offline)
                Add("--pkg2d:Offline", "true");
            Add("--pkg2d:ApkTools", result.GetValue(common.ApkTools));

            var builder = ServeHost.CreateBuilder([.. args], result.GetValue(config), services =>
            {
                var options = services.GetRequiredService<ServeOptions>();
                var provider = new EngineLayoutProvider(options, RepositoryOptionsFrom(services.GetRequiredService<IConfiguration>()),
                    options.Lock is { } path ? LockFile.Read(path) : null, services.GetRequiredService<BlobCache>(),
                    services.GetRequiredService<ILogger<EngineLayoutProvider>>());
                var configured = ConfiguredImages.Read(services.GetRequiredService<IConfiguration>(), result.GetValue(image) ?? [],
                    services.GetRequiredService<ILogger<EngineLayoutProvider>>());
                provider.InitializeAsync(configured, CancellationToken.None).GetAwaiter().GetResult();
                return provider;
            }, new Dictionary<string, string?> { [$"{ServeOptions.SectionName}:{nameof(ServeOptions.CacheDirectory)}"] = PackageCache.DefaultDirectory() });
            await builder.Build().RunAsync();
            return Environment.ExitCode;
        });
        return command;
    }

    private static void AddList(List<string> args, string key, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
            args.AddRange([$"--{ServeOptions.SectionName}:{key}:{i}", values[i]]);
    }

    /// <summary>Where packages come from, from the same configuration as the rest of the daemon's settings.</summary>
    private static RepositoryOptions RepositoryOptionsFrom(IConfiguration configuration)
    {
        var section = configuration.GetSection(ServeOptions.SectionName);
        string[] List(string key) => [.. section.GetSection(key).GetChildren().Select(c => c.Value).OfType<string>()];
        return new RepositoryOptions
        {
            Repositories = List("Repositories"),
            RepositoriesFile = section["RepositoriesFile"],
            Arch = section["Arch"],
            KeysDirs = List("KeysDirs"),
            AllowUntrusted = section.GetValue<bool>("AllowUntrusted"),
            Offline = section.GetValue<bool>("Offline"),
            ApkTools = CommonOptions.Generation(section["ApkTools"], "pkg2d:ApkTools"),
            Progress = TextWriter.Null,
        };
    }
}
