using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>These tests change process-wide environment variables, so they run one at a time (one class).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostTests
{
    private static string ExampleFile(string name) => Path.Combine(AppContext.BaseDirectory, "systemd", name);

    [FuseFact]
    public async Task MountServiceSendsReadyOnceTheMountAnswersAndUnmountsOnStop()
    {
        using var dir = new TempDirectory();
        var mountPoint = dir.Combine("mnt");
        var provider = new TestProvider(new TestImages());
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(dir.Combine("notify")));
        try
        {
            IHost host;
            Environment.SetEnvironmentVariable("NOTIFY_SOCKET", dir.Combine("notify"));
            try
            {
                host = ServeHost.CreateBuilder(
                    ["--mount", mountPoint, "--cache", dir.Combine("cache"), "--cache-size", "16M", "--log-level", "Warning"],
                    ExampleFile("pkg2d.json"), _ => provider).Build();
            }
            finally
            {
                Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
            }
            using (host)
            {
                var starting = host.StartAsync();
                await ReceiveAsync(notify, "READY=1");
                // The mount answers by the time READY=1 is sent.
                Assert.Equal(provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(Path.Combine(mountPoint, "index.json")));
                await starting;
                Assert.True(Mounts.IsMounted(mountPoint));
                Assert.Equal(mountPoint, host.Services.GetRequiredService<MountService>().Mount!.MountPoint);

                await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
                await ReceiveAsync(notify, "STOPPING=1");
                Assert.False(Mounts.IsMounted(mountPoint));
                Assert.False(File.Exists(Path.Combine(mountPoint, "index.json")));
            }
        }
        finally
        {
            Mounts.Cleanup(mountPoint);
        }
    }

    [FuseFact]
    public async Task HostStartsOverTheStaleMountOfACrashedServer()
    {
        using var dir = new TempDirectory();
        var mountPoint = dir.Combine("mnt");
        Directory.CreateDirectory(mountPoint);
        try
        {
            Mounts.MountStale(mountPoint);
            var provider = new TestProvider(new TestImages());
            using var host = ServeHost.CreateBuilder(["--mount", mountPoint, "--cache", dir.Combine("cache"), "--log-level", "Warning"],
                ExampleFile("pkg2d.json"), _ => provider).Build();
            await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(provider.Root.IndexJson.ToArray(), await File.ReadAllBytesAsync(Path.Combine(mountPoint, "index.json")));
            Assert.Single(Mounts.List(), m => m == mountPoint);
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.False(Mounts.IsMounted(mountPoint));
        }
        finally
        {
            Mounts.Cleanup(mountPoint);
        }
    }

    /// <summary>Reads notifications until one carries <paramref name="state"/>.</summary>
    private static async Task ReceiveAsync(Socket socket, string state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[4096];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (Encoding.UTF8.GetString(buffer, 0, n).Split('\n').Contains(state))
                return;
        }
    }

    [Fact]
    public void ConfigurationComesFromTheFileThenEnvironmentThenCommandLine()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pkg2d.json");
        File.WriteAllText(file, """
            { "pkg2d": { "MountPoint": "/from/file", "CacheDirectory": "/file/cache", "CacheSize": "512M",
                         "AllowOther": false, "Images": [ "a", "b", "c" ] } }
            """);
        ServeOptions options;
        Environment.SetEnvironmentVariable("PKG2D_CACHEDIRECTORY", "/env/cache");
        Environment.SetEnvironmentVariable("PKG2D_LOGLEVEL", "debug");
        try
        {
            using var host = ServeHost.CreateBuilder(["--cache-size=2G", "--image", "gcc,make", "--image", "python3"], file,
                _ => throw new InvalidOperationException("not needed to read the options")).Build();
            options = host.Services.GetRequiredService<ServeOptions>();
        }
        finally
        {
            Environment.SetEnvironmentVariable("PKG2D_CACHEDIRECTORY", null);
            Environment.SetEnvironmentVariable("PKG2D_LOGLEVEL", null);
        }
        Assert.Equal("/from/file", options.MountPoint);
        Assert.Equal("/env/cache", options.CacheDirectory);
        Assert.Equal(2L << 30, options.CacheSize);
        Assert.False(options.AllowOther);
        Assert.Equal(["gcc,make", "python3"], options.Images);
        Assert.Equal(LogLevel.Debug, options.LogLevel);

        var bad = Assert.Throws<FormatException>(() => ServeHost.CreateBuilder(["--cache-size", "lots"], file, _ => null!));
        Assert.Contains("pkg2d:CacheSize", bad.Message);
        Assert.Throws<FileNotFoundException>(() => ServeHost.CreateBuilder([], dir.Combine("missing.json"), _ => null!));
    }

    [Fact]
    public void ExampleConfigurationIsValid()
    {
        using var host = ServeHost.CreateBuilder([], ExampleFile("pkg2d.json"), _ => null!).Build();
        var options = host.Services.GetRequiredService<ServeOptions>();
        Assert.Equal(("/mnt/pkg2", "/var/cache/pkg2d", 10L << 30, true), (options.MountPoint, options.CacheDirectory, options.CacheSize, options.AllowOther));
        Assert.Equal(["gcc", "python3"], options.Images);
    }

    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("10G", 10L << 30)]
    [InlineData("10g", 10L << 30)]
    [InlineData("1.5K", 1536L)]
    [InlineData("2T", 2L << 40)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("64MB", 64L << 20)]
    [InlineData(" 7 ", 7L)]
    public void SizesParse(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("10X")]
    [InlineData("-1M")]
    [InlineData("ten")]
    [InlineData("99999999999T")]
    public void BadSizesAreErrors(string text) => Assert.Throws<FormatException>(() => ByteSize.Parse(text));

    [ToolOnPathFact("systemd-analyze")]
    public async Task UnitFilePassesSystemdAnalyzeVerify()
    {
        var unit = await File.ReadAllTextAsync(ExampleFile("pkg2d.service"));
        var settings = unit.Split('\n').Select(l => l.Trim()).Where(l => l.Contains('=') && !l.StartsWith('#'))
            .Select(l => (Key: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..])).ToLookup(s => s.Key, s => s.Value);
        Assert.Equal(["notify"], settings["Type"]);
        Assert.Equal(["/dev/fuse rw"], settings["DeviceAllow"]);
        // `systemctl reload` is a refresh (SIGHUP), not a restart.
        Assert.Equal(["/bin/kill -HUP $MAINPID"], settings["ExecReload"]);
        var execStart = Assert.Single(settings["ExecStart"]).Split(' ');
        Assert.Equal(["/usr/local/bin/pkg2d", "serve"], execStart[..2]);

        // The unit's arguments mean to ServeHost what the unit's directories say.
        using (var host = ServeHost.CreateBuilder(execStart[2..], ExampleFile("pkg2d.json"), _ => null!).Build())
        {
            var options = host.Services.GetRequiredService<ServeOptions>();
            Assert.Equal(Path.Combine("/var/cache", Assert.Single(settings["CacheDirectory"])), options.CacheDirectory);
            Assert.EndsWith($"umount -l {options.MountPoint}", Assert.Single(settings["ExecStopPost"]));
        }

        // Each of these gives the service its own mount namespace, from which its mount would not reach the host.
        string[] namespaced =
        [
            "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices", "PrivateMounts", "PrivateIPC", "ReadWritePaths",
            "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths", "BindPaths", "BindReadOnlyPaths",
            "TemporaryFileSystem", "ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs",
            "ProtectControlGroups", "ProtectProc", "ProcSubset", "ProtectHostname", "RootDirectory", "RootImage",
            "DynamicUser", "MountFlags", "LogNamespace",
        ];
        Assert.DoesNotContain(namespaced, settings.Contains);

        // verify needs ExecStart's binary to exist: the copy checked here runs /bin/true instead of pkg2d.
        using var dir = new TempDirectory();
        var copy = dir.Combine("pkg2d.service");
        await File.WriteAllTextAsync(copy, unit.Replace("ExecStart=/usr/local/bin/pkg2d ", "ExecStart=/bin/true ", StringComparison.Ordinal));
        var verify = await Tool.RunAsync("systemd-analyze", "verify", copy);
        Assert.True(verify.ExitCode == 0, verify.Errors);
        // verify only warns about unknown keys and bad values: any output is a finding.
        Assert.Equal("", verify.Errors + verify.Output);
    }
}

/// <summary>A fact that needs tools on PATH; skipped without them unless PKG2D_REQUIRE_FUSE=1 (CI installs them).</summary>
public sealed class ToolOnPathFactAttribute : FactAttribute
{
    public ToolOnPathFactAttribute(params string[] tools)
    {
        if (!TestHost.FuseRequired && tools.FirstOrDefault(t => TestHost.Which(t) is null) is { } missing)
            Skip = $"needs {missing} on PATH; set PKG2D_REQUIRE_FUSE=1 to make this a failure";
    }
}
