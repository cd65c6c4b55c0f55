using Pkg2d.Apk.Index;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Each solver rule on a small index written as APKINDEX text. The expected answers are what Alpine's apk 2.14.4
/// installs for the same index (checked with `apk add --simulate --allow-untrusted`), except arch filtering, which
/// apk leaves to the per-arch repository folder.
/// </summary>
public class SolverTests
{
    private static string Package(string name, string version = "1.0-r0", string arch = "x86_64",
        string? depends = null, string? provides = null, string? installIf = null, int? priority = null)
    {
        var text = $"P:{name}\nV:{version}\nA:{arch}\nS:1\nI:1\nT:{name}\n";
        if (priority is { } k)
            text += $"k:{k}\n";
        if (depends is not null)
            text += $"D:{depends}\n";
        if (provides is not null)
            text += $"p:{provides}\n";
        if (installIf is not null)
            text += $"i:{installIf}\n";
        return text + "\n";
    }

    private static List<ApkIndexEntry> Index(string repository, params string[] packages) =>
        IndexFiles.Parse(string.Concat(packages), repository);

    private static string[] Solve(PackageSolver solver, params string[] world) =>
        [.. solver.Solve(world).Packages.Select(p => p.ToString())];

    private static PackageSolver Solver(params string[] packages) => new(Index("repo", packages), "x86_64");

    [Fact]
    public void VersionedProvidesPickTheHighestProvidedVersion()
    {
        var solver = Solver(
            Package("a", depends: "so:libfoo.so.1 foo"),
            Package("libfoo1", provides: "so:libfoo.so.1=1.0"),
            Package("libfoo2", provides: "so:libfoo.so.1=2.0"),
            Package("bar", provides: "foo=1.0"));
        Assert.Equal(["libfoo2-1.0-r0", "bar-1.0-r0", "a-1.0-r0"], Solve(solver, "a"));
        Assert.Equal(["libfoo1-1.0-r0"], Solve(solver, "so:libfoo.so.1<2"));
    }

    [Fact]
    public void VirtualNameWithSeveralProvidersAndNoPriorityIsAnError()
    {
        var solver = Solver(Package("sh1", provides: "/bin/sh"), Package("sh2", provides: "/bin/sh"), Package("user", depends: "/bin/sh"));
        var error = Assert.Throws<SolverException>(() => solver.Solve(["user"]));
        Assert.Equal(["/bin/sh (virtual):\n    note: please select one of the 'provided by' packages explicitly\n    provided by: sh1 sh2\n"
            + "    required by: user-1.0-r0[/bin/sh]"], error.Problems);
        Assert.Throws<SolverException>(() => solver.Solve(["/bin/sh"]));
        Assert.Equal(["sh1-1.0-r0", "user-1.0-r0"], Solve(solver, "sh1", "user"));
        Assert.Equal(["sh2-1.0-r0", "user-1.0-r0"], Solve(solver, "user", "sh2"));
    }

    [Fact]
    public void VirtualNameWithOneProviderAndNoPriorityIsAnErrorToo()
    {
        var solver = Solver(Package("sh1", provides: "/bin/sh"), Package("user", depends: "/bin/sh"));
        var error = Assert.Throws<SolverException>(() => solver.Solve(["user"]));
        Assert.Contains("/bin/sh (virtual):", error.Message);
        Assert.Contains("provided by: sh1\n", error.Message);
    }

    [Fact]
    public void ProviderPriorityChoosesAmongVirtualProviders()
    {
        var solver = Solver(
            Package("sh1", provides: "/bin/sh", priority: 5),
            Package("sh2", provides: "/bin/sh", priority: 10),
            Package("user", depends: "/bin/sh"));
        Assert.Equal(["sh2-1.0-r0", "user-1.0-r0"], Solve(solver, "user"));
        Assert.Equal(["sh1-1.0-r0", "user-1.0-r0"], Solve(solver, "sh1", "user"));
    }

    [Fact]
    public void ConflictsAreReported()
    {
        var solver = Solver(
            Package("a", depends: "!b"), Package("b"), Package("c", depends: "b"),
            Package("d", depends: "!e<2"), Package("e", version: "2.0-r0"));
        var direct = Assert.Throws<SolverException>(() => solver.Solve(["a", "b"]));
        Assert.Equal(["b-1.0-r0:\n    breaks: a-1.0-r0[!b]\n    satisfies: world[b]"], direct.Problems);
        var indirect = Assert.Throws<SolverException>(() => solver.Solve(["a", "c"]));
        Assert.Equal(["b-1.0-r0:\n    breaks: a-1.0-r0[!b]\n    satisfies: c-1.0-r0[b]"], indirect.Problems);
        Assert.Equal(["d-1.0-r0"], Solve(solver, "d"));
        Assert.Equal(["e-2.0-r0", "d-1.0-r0"], Solve(solver, "d", "e"));
        Assert.Throws<SolverException>(() => solver.Solve(["d", "e<2"]));
    }

    [Fact]
    public void InstallIfIsAppliedToAFixpoint()
    {
        var solver = Solver(Package("a"), Package("b"), Package("x", installIf: "a b"), Package("y", installIf: "x"));
        Assert.Equal(["a-1.0-r0"], Solve(solver, "a"));
        Assert.Equal(["a-1.0-r0", "b-1.0-r0", "x-1.0-r0", "y-1.0-r0"], Solve(solver, "a", "b"));
    }

    [Fact]
    public void InstallOrderFollowsApkForProvidersOfInstallIfPackages()
    {
        // qv (install_if on o) provides virt, so apk installs virt's chosen provider pv right after o.
        var solver = Solver(
            Package("top", depends: "a b virt o"), Package("a"), Package("b", depends: "o"), Package("o"), Package("m"),
            Package("pv", depends: "o m", provides: "virt", priority: 30),
            Package("mdevd"), Package("qv", depends: "mdevd m", provides: "virt", installIf: "o mdevd", priority: 20));
        Assert.Equal(["a-1.0-r0", "o-1.0-r0", "m-1.0-r0", "pv-1.0-r0", "b-1.0-r0", "top-1.0-r0"], Solve(solver, "top"));
    }

    [Fact]
    public void OtherArchesAreIgnoredAndNoarchFitsAll()
    {
        var solver = Solver(Package("a", version: "9.0-r0", arch: "aarch64"), Package("a"), Package("n", arch: "noarch", depends: "a"));
        Assert.Equal(["a-1.0-r0", "n-1.0-r0"], Solve(solver, "n"));
        var aarch64 = new PackageSolver(
            Index("repo", Package("a", version: "9.0-r0", arch: "aarch64"), Package("a"), Package("n", arch: "noarch", depends: "a")), "aarch64");
        Assert.Equal(["a-9.0-r0", "n-1.0-r0"], Solve(aarch64, "n"));
    }

    [Fact]
    public void CyclesAreCutWhereTheyClose()
    {
        var solver = Solver(Package("a", depends: "b"), Package("b", depends: "a c"), Package("c"));
        Assert.Equal(["c-1.0-r0", "b-1.0-r0", "a-1.0-r0"], Solve(solver, "a"));
        Assert.Equal(["a-1.0-r0", "c-1.0-r0", "b-1.0-r0"], Solve(solver, "b"));
    }

    private static List<ApkIndexEntry> TwoRepositories() =>
    [
        .. Index("main", Package("foo", version: "1.0-r0"), Package("same", depends: "dep1")),
        .. Index("edge", Package("foo", version: "2.0-r0"), Package("same", depends: "dep2"),
            Package("bar", depends: "baz"), Package("baz"), Package("dep1"), Package("dep2")),
    ];

    [Fact]
    public void HighestVersionWinsAcrossRepositoriesAndTheFirstRepositoryWinsTies()
    {
        var solver = new PackageSolver(TwoRepositories(), "x86_64");
        var foo = Assert.Single(solver.Solve(["foo"]).Packages);
        Assert.Equal(("2.0-r0", "edge"), (foo.Version, foo.Repository));
        var same = solver.Solve(["same"]).Packages;
        Assert.Equal(["dep1-1.0-r0", "same-1.0-r0"], same.Select(p => p.ToString()));
        Assert.Equal("main", same[1].Repository);
    }

    [Fact]
    public void TaggedRepositoriesAreUsedOnlyWhenAsked()
    {
        var solver = new PackageSolver(TwoRepositories(), "x86_64", e => e.Repository == "edge" ? "edge" : null);
        Assert.Equal(("1.0-r0", "main"), solver.Solve(["foo"]).Packages.Select(p => (p.Version, p.Repository)).Single());
        Assert.Equal(("2.0-r0", "edge"), solver.Solve(["foo@edge"]).Packages.Select(p => (p.Version, p.Repository)).Single());
        var error = Assert.Throws<SolverException>(() => solver.Solve(["bar"]));
        Assert.Contains("@edge", error.Message);
        Assert.Equal(["baz-1.0-r0", "bar-1.0-r0"], Solve(solver, "bar@edge"));
    }

    [Fact]
    public void UnsatisfiableWorldEntriesAndDependenciesAreExplained()
    {
        var solver = Solver(Package("foo", version: "1.2-r0"), Package("musl-dev", depends: "bar"), Package("bar", depends: "so:libfoo.so.1"));
        Assert.Equal(["foo-1.2-r0:\n    breaks: world[foo>=9]"], Assert.Throws<SolverException>(() => solver.Solve(["foo>=9"])).Problems);
        Assert.Equal(["so:libfoo.so.1 (no such package):\n    required by: bar-1.0-r0[so:libfoo.so.1]"],
            Assert.Throws<SolverException>(() => solver.Solve(["musl-dev"])).Problems);
        Assert.Equal(["nope (no such package):\n    required by: world[nope]"], Assert.Throws<SolverException>(() => solver.Solve(["nope"])).Problems);
        var both = Assert.Throws<SolverException>(() => solver.Solve(["foo>=9", "musl-dev", "nope"]));
        Assert.Equal(3, both.Problems.Count);
        Assert.StartsWith("unable to select packages:\n  ", both.Message);
    }

    [Fact]
    public void InvalidWorldEntriesAreRejected()
    {
        var solver = Solver(Package("foo"));
        Assert.Contains("'foo='", Assert.Throws<SolverException>(() => solver.Solve(["foo="])).Message);
    }

    [Fact]
    public void ALaterConstraintChangesTheChoice()
    {
        // world asks for b first (by name order), b pins lib<2 although lib-2 is the newest: apk installs lib-1.
        var solver = Solver(Package("a", depends: "lib"), Package("b", depends: "lib<2"),
            Package("lib", version: "1.0-r0"), Package("lib", version: "2.0-r0"));
        Assert.Equal(["lib-1.0-r0", "a-1.0-r0", "b-1.0-r0"], Solve(solver, "a", "b"));
    }
}
