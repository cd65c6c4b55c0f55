using System.Collections.Concurrent;
using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Our solver against Alpine's apk 2.14.4 and 3.0.6 on the real v3.16 x86_64, v3.17 aarch64 and v3.7 armhf indexes:
/// the same packages in the same install order as the generation it follows, or an error where apk reports one
/// (naming what apk blames).
/// </summary>
public sealed class DifferentialTests(ApkToolsOracle apk) : IClassFixture<ApkToolsOracle>
{
    private static readonly string ArmhfIndex = Path.Combine(Fixtures.MirrorBase, "armhf", "APKINDEX.tar.gz");

    private static string IndexOf(string arch) => arch switch { "x86_64" => Fixtures.X86_64Index, "aarch64" => Fixtures.Aarch64Index, _ => ArmhfIndex };

    private static readonly ConcurrentDictionary<(string Arch, ApkToolsGeneration Generation), PackageSolver> Solvers = new();

    private static PackageSolver SolverFor(string arch, ApkToolsGeneration generation) =>
        Solvers.GetOrAdd((arch, generation), key => new PackageSolver(IndexFiles.Load(IndexOf(key.Arch), key.Arch), key.Arch, generation: key.Generation));

    public static TheoryData<string, string> Worlds => new()
    {
        { "x86_64", "build-base" },
        { "x86_64", "gcc" },
        { "x86_64", "python3" },
        { "x86_64", "busybox /bin/sh" },
        { "x86_64", "/bin/sh" },
        { "x86_64", "so:libz.so.1" },
        { "x86_64", "cmd:ls" },
        { "x86_64", "alpine-base" },
        { "x86_64", "git openssh curl" },
        { "x86_64", "nginx" },
        { "x86_64", "perl bash coreutils" },
        { "x86_64", "postgresql" },
        { "x86_64", "py3-pip" },
        { "x86_64", "nodejs npm" },
        { "x86_64", "zlib>=9" },
        { "x86_64", "so:libz.so.1 zlib>=9" },
        { "x86_64", "zlib<1.2.12 so:libz.so.1" },
        { "x86_64", "zlib~1.2 musl=1.2.3-r2" },
        { "x86_64", "no-such-package" },
        { "x86_64", "alpine-sdk" },
        { "x86_64", "docs" },
        { "x86_64", "bash bash-doc man-pages mandoc" },
        { "x86_64", "openjdk11-jre-headless" },
        { "x86_64", "ruby" },
        { "x86_64", "lua5.4 luarocks" },
        { "x86_64", "llvm13 clang" },
        { "x86_64", "samba" },
        { "x86_64", "mariadb" },
        { "aarch64", "build-base" },
        { "aarch64", "gcc" },
        { "aarch64", "python3" },
        { "aarch64", "busybox /bin/sh" },
        { "aarch64", "/bin/sh" },
        { "aarch64", "so:libcrypto.so.3" },
        { "aarch64", "cmd:curl" },
        { "aarch64", "alpine-base" },
        { "aarch64", "git openssh nginx" },
        { "aarch64", "alpine-sdk" },
        { "aarch64", "rust cargo" },
        { "aarch64", "go" },
        { "armhf", "alpine-base" },
        { "armhf", "openssh chrony" },
    };

    [ApkReferenceTheory]
    [MemberData(nameof(Worlds))]
    public void SameAsApk2(string arch, string world) => SameAsApk(ApkToolsGeneration.V2, arch, world);

    [ApkReferenceTheory]
    [MemberData(nameof(Worlds))]
    public void SameAsApk3(string arch, string world) => SameAsApk(ApkToolsGeneration.V3, arch, world);

    private void SameAsApk(ApkToolsGeneration generation, string arch, string world)
    {
        var entries = world.Split(' ');
        var expected = apk.SimulateSigned(generation, IndexOf(arch), arch, [entries])[0];
        var solver = SolverFor(arch, generation);
        if (expected.Packages is null)
        {
            // Each name or package apk blames appears in our explanation.
            var error = Assert.Throws<SolverException>(() => solver.Solve(entries));
            Assert.NotEmpty(expected.Blamed);
            Assert.All(expected.Blamed, name => Assert.Contains(name, error.Message));
            return;
        }
        var actual = solver.Solve(entries).Packages.Select(p => p.ToString()).ToList();
        Assert.Equal(expected.Packages.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Packages, actual);
    }

    /// <summary>
    /// apg-doc and boost1.77-doc (install_if `docs` and their package) share a bucket of apk's name hash table, and
    /// both become due when docs, last in the world's name order, is installed: apk installs the newer name first.
    /// </summary>
    [ApkReferenceTheory]
    [InlineData(ApkToolsGeneration.V2)]
    [InlineData(ApkToolsGeneration.V3)]
    public void InstallIfPackagesDueTogetherFollowApksNameHashWalk(ApkToolsGeneration generation)
    {
        string[] world = ["apg", "boost1.77", "busybox", "docs"];
        var expected = apk.SimulateSigned(generation, Fixtures.X86_64Index, "x86_64", [world])[0];
        var actual = SolverFor("x86_64", generation).Solve(world).Packages.Select(p => p.ToString()).ToList();
        Assert.NotNull(expected.Packages);
        Assert.Contains(actual, p => p.StartsWith("apg-doc-", StringComparison.Ordinal));
        Assert.Contains(actual, p => p.StartsWith("boost1.77-doc-", StringComparison.Ordinal));
        Assert.Equal(expected.Packages, actual);
    }
}
