using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>containerd pulls a pkg2d image from pkg2d's registry over plain HTTP and runs it (real packages of Alpine 3.19.1).</summary>
public sealed class ContainerdTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-ctr-");

    public void Dispose() => _dir.Dispose();

    [FuseFact("containerd", "ctr")]
    public void Ctr_pulls_a_configured_image_and_an_on_demand_world_and_runs_them()
    {
        using var registry = new RegistryDaemon(_dir.Combine("cache"),
            ["--repo", Fixtures.IsoMirrorBase, "--arch", "x86_64", "--keys-dir", Fixtures.KeysDir, "--image", "web=wget"]);
        using var containerd = new PrivateContainerd(_dir.Combine("containerd"));

        foreach (var (image, id) in new[] { ($"{registry.Host}/web:latest", "web"), ($"{registry.Host}/wget/zlib:latest", "world") })
        {
            containerd.CtrOk("image", "pull", "--plain-http", "--snapshotter", "native", image);
            var output = containerd.CtrOk("run", "--rm", "--snapshotter", "native", image, id, "/bin/sh", "-c", "wget --version | head -n 1; apk info -e zlib wget");
            Assert.StartsWith("GNU Wget 1.21.4", output);
            Assert.EndsWith("zlib\nwget\n", output);
        }
        Assert.Equal(0, registry.Stop());
    }
}
