using System.Text.Json.Nodes;
using Pkg2d.Fetch;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Catalog;
using Pkg2d.Image.Publish;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

/// <summary>
/// A kept resolution is reused only for the same indexes, keys, arch and world. To tell reuse from a fresh resolution,
/// the tests drop a package from the kept record: a result without it came from the record.
/// </summary>
public sealed class ResolutionReuseTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly SyntheticRepository _repo = new SyntheticRepository().Add(
        new SyntheticPackage("a", "1.0-r0") { Depends = ["b"], Files = [SyntheticFile.Text("etc/a", "a\n")] },
        new SyntheticPackage("b", "1.0-r0") { Files = [SyntheticFile.Text("etc/b", "b\n")] }).Write();

    public void Dispose()
    {
        _repo.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task UnchangedInputs_ReuseTheKeptResolution()
    {
        Assert.Equal(["b-1.0-r0", "a-1.0-r0"], Names(await Resolve(["a"])));
        DropLastPackage();

        Assert.Equal(["b-1.0-r0"], Names(await Resolve(["a"])));
    }

    [Fact]
    public async Task AChangedIndex_ResolvesAfresh()
    {
        await Resolve(["a"]);
        DropLastPackage();

        _repo.Add(new SyntheticPackage("b", "2.0-r0") { Files = [SyntheticFile.Text("etc/b", "b2\n")] }).Write();

        Assert.Equal(["b-2.0-r0", "a-1.0-r0"], Names(await Resolve(["a"])));
    }

    [Fact]
    public async Task AChangedKeySet_ResolvesAfresh()
    {
        await Resolve(["a"]);
        DropLastPackage();

        var keys = Directory.CreateDirectory(_dir.Combine("keys")).FullName;
        foreach (var key in Directory.GetFiles(_repo.KeysDir))
            File.Copy(key, Path.Combine(keys, Path.GetFileName(key)));
        using (var extra = System.Security.Cryptography.RSA.Create(2048))
            File.WriteAllText(Path.Combine(keys, "extra.rsa.pub"), extra.ExportSubjectPublicKeyInfoPem());

        Assert.Equal(["b-1.0-r0", "a-1.0-r0"], Names(await Resolve(["a"], keys)));
    }

    [Fact]
    public async Task AnotherWorld_IsResolvedOnItsOwn()
    {
        await Resolve(["a"]);
        DropLastPackage();

        Assert.Equal(["b-1.0-r0"], Names(await Resolve(["b"])));
        Assert.Equal(["b-1.0-r0", "a-1.0-r0"], Names(await Resolve(["a", "b"])));
    }

    [Fact]
    public async Task ADamagedRecord_ResolvesAfresh()
    {
        await Resolve(["a"]);
        var record = Assert.Single(Directory.GetFiles(CatalogDir));
        File.WriteAllText(record, File.ReadAllText(record)[..40]);

        Assert.Equal(["b-1.0-r0", "a-1.0-r0"], Names(await Resolve(["a"])));
    }

    [Fact]
    public async Task Export_KeepsItsResolutionsInTheCache()
    {
        var request = new ExportRequest
        {
            Output = _dir.Combine("out"),
            Images = [ImageSpec.Parse("a")],
            BaseWorld = [],
            Repositories = Options(_repo.KeysDir),
        };
        await Exporter.ExportAsync(request, null);
        DropLastPackage();
        Directory.Delete(_dir.Combine("out"), recursive: true);

        // The kept record (without a) was used: only b's layer and the top layer are left.
        using var build = await Exporter.BuildAsync(request, null);
        Assert.Equal(2, build.Summary.Layers);
    }

    private string CatalogDir => _dir.Combine("cache", "resolved");

    private RepositoryOptions Options(string keysDir) =>
        new() { Repositories = [_repo.Base], Arch = "x86_64", KeysDirs = [keysDir], CacheDir = _dir.Combine("cache") };

    private async Task<ResolvedImage> Resolve(IReadOnlyList<string> world, string? keysDir = null)
    {
        using var engine = new ImageEngine(Options(keysDir ?? _repo.KeysDir));
        return await engine.ResolveAsync("img", world, new ImageCatalog(CatalogDir));
    }

    private static List<string> Names(ResolvedImage image) => [.. image.Packages.Select(p => p.ToString())];

    /// <summary>Removes the last package of every kept record, leaving its key as it was.</summary>
    private void DropLastPackage()
    {
        foreach (var path in Directory.GetFiles(CatalogDir))
        {
            var record = JsonNode.Parse(File.ReadAllText(path))!;
            var packages = record["image"]!["packages"]!.AsArray();
            packages.RemoveAt(packages.Count - 1);
            File.WriteAllText(path, record.ToJsonString());
        }
    }
}
