using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Our solver against Alpine's apk 2.14.4 on the real v3.16 x86_64, v3.17 aarch64 and v3.7 armhf indexes: the same
/// packages in the same install order, or an error where apk reports one (naming what apk blames).
/// </summary>
public sealed class DifferentialTests(ApkReference apk) : IClassFixture<ApkReference>
{
    private static readonly Lazy<PackageSolver> X86_64 = new(() => new PackageSolver(IndexFiles.Load(Fixtures.X86_64Index, "x86_64"), "x86_64"));
    private static readonly Lazy<PackageSolver> Aarch64 = new(() => new PackageSolver(IndexFiles.Load(Fixtures.Aarch64Index, "aarch64"), "aarch64"));
    private static readonly Lazy<PackageSolver> Armhf = new(() =>
        new PackageSolver(IndexFiles.Load(Path.Combine(Fixtures.MirrorBase, "armhf", "APKINDEX.tar.gz"), "armhf"), "armhf"));

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
    public void SameAsApk(string arch, string world)
    {
        var entries = world.Split(' ');
        var (expected, blamed) = apk.Simulate(arch, entries);
        var solver = arch switch { "x86_64" => X86_64.Value, "aarch64" => Aarch64.Value, _ => Armhf.Value };
        if (expected is null)
        {
            // Each name or package apk blames appears in our explanation.
            var error = Assert.Throws<SolverException>(() => solver.Solve(entries));
            Assert.NotEmpty(blamed);
            Assert.All(blamed, name => Assert.Contains(name, error.Message));
            return;
        }
        var actual = solver.Solve(entries).Packages.Select(p => p.ToString()).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        Assert.Equal(expected, actual);
    }

    /// <summary>
    /// apg-doc and boost1.77-doc (install_if `docs` and their package) share a bucket of apk's name hash table, and
    /// both become due when docs, last in the world's name order, is installed: apk installs the newer name first.
    /// </summary>
    [ApkReferenceTheory]
    [InlineData("x86_64", "apg boost1.77 busybox docs")]
    public void InstallIfPackagesDueTogetherFollowApksNameHashWalk(string arch, string world)
    {
        var entries = world.Split(' ');
        var (expected, _) = apk.Simulate(arch, entries);
        var actual = X86_64.Value.Solve(entries).Packages.Select(p => p.ToString()).ToList();
        Assert.NotNull(expected);
        Assert.Contains(actual, p => p.StartsWith("apg-doc-", StringComparison.Ordinal));
        Assert.Contains(actual, p => p.StartsWith("boost1.77-doc-", StringComparison.Ordinal));
        Assert.Equal(expected, actual);
    }
}
