using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pkg2d.Testing;

namespace Pkg2d.Serve.Tests;

/// <summary>A provider that is too busy to resolve a world: the mount answers EAGAIN, the registry 429, and neither remembers it.</summary>
public sealed class BusyProviderTests
{
    [FuseFact]
    public async Task TheMountAnswersEagainAndAsksAgainNextTime()
    {
        await using var served = await Served.StartAsync();
        served.Provider.Busy = true;
        // cat prints strerror, which .NET's messages do not.
        var (exit, _, errors) = Tool.Run("cat", [served.Path(TestProvider.WorldName + "/index.json")]);
        Assert.NotEqual(0, exit);
        Assert.Contains("Resource temporarily unavailable", errors);

        served.Provider.Busy = false;
        Assert.Equal(served.Images.WorldLayout().IndexJson.ToArray(), File.ReadAllBytes(served.Path(TestProvider.WorldName + "/index.json")));
    }

    [Fact]
    public async Task TheRegistryAnswers429WithAJsonErrorAndRetryAfter()
    {
        TestProvider? provider = null;
        await using var registry = await RegistryHost.StartAsync(images => provider = new TestProvider(images) { Busy = true });
        using var busy = await registry.Client.GetAsync($"/v2/{TestProvider.WorldName}/manifests/latest");
        Assert.Equal(HttpStatusCode.TooManyRequests, busy.StatusCode);
        Assert.NotNull(busy.Headers.RetryAfter);
        var body = JsonDocument.Parse(await busy.Content.ReadAsStringAsync()).RootElement.GetProperty("errors")[0];
        Assert.Equal("TOOMANYREQUESTS", body.GetProperty("code").GetString());
        Assert.Contains(TestProvider.WorldName, body.GetProperty("detail").GetString());

        provider!.Busy = false;
        using var ok = await registry.Client.GetAsync($"/v2/{TestProvider.WorldName}/manifests/latest");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public void RefreshAndRetainAreDurationsFromTheConfigurationOrTheCommandLine()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pkg2d.json");
        File.WriteAllText(file, """{ "pkg2d": { "MountPoint": "/m", "Refresh": "30m" } }""");
        using (var host = ServeHost.CreateBuilder(["--retain", "7d"], file, _ => null!).Build())
        {
            var options = host.Services.GetRequiredService<ServeOptions>();
            Assert.Equal((TimeSpan.FromMinutes(30), TimeSpan.FromDays(7)), (options.Refresh, options.Retain));
        }
        using (var host = ServeHost.CreateBuilder(["--mount", "/m"], null, _ => null!).Build())
        {
            var defaults = host.Services.GetRequiredService<ServeOptions>();
            Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromHours(24)), (defaults.Refresh, defaults.Retain));
        }
        using (var host = ServeHost.CreateBuilder(["--refresh", "0"], file, _ => null!).Build())
            Assert.Equal(TimeSpan.Zero, host.Services.GetRequiredService<ServeOptions>().Refresh);
        var error = Assert.Throws<FormatException>(() => ServeHost.CreateBuilder(["--refresh", "hourly"], file, _ => null!));
        Assert.Contains("pkg2d:Refresh", error.Message);
    }

    [Fact]
    public void LimitsComeFromTheConfigurationAndMustBePositive()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pkg2d.json");
        File.WriteAllText(file, """{ "pkg2d": { "MountPoint": "/m", "MaxImages": 3, "ResolvingWait": 5, "Lock": "/etc/pkg2d/images.lock" } }""");
        using var host = ServeHost.CreateBuilder(["--pkg2d:MaxResolving=1"], file, _ => null!).Build();
        var options = host.Services.GetRequiredService<ServeOptions>();
        Assert.Equal((16, 3, 1, TimeSpan.FromSeconds(5), "/etc/pkg2d/images.lock"),
            (options.MaxWorldEntries, options.MaxImages, options.MaxResolving, options.ResolvingWait, options.Lock));

        foreach (var bad in new[] { "0", "-1", "many", "99999999999" })
        {
            var error = Assert.Throws<FormatException>(() => ServeHost.CreateBuilder([$"--pkg2d:MaxWorldEntries={bad}"], file, _ => null!));
            Assert.Contains("pkg2d:MaxWorldEntries", error.Message);
        }
    }
}
