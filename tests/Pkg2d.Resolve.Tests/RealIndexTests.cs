using System.Runtime.InteropServices;
using Pkg2d.Apk.Index;
using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>The solver on real Alpine indexes.</summary>
public partial class RealIndexTests
{
    [System.Text.RegularExpressions.GeneratedRegex("[a-z][0-9]")]
    private static partial System.Text.RegularExpressions.Regex LetterThenDigit();

    private static readonly string ArmhfFolder = Path.Combine(Fixtures.MirrorBase, "armhf");

    [FixtureFact]
    public void AlpineBaseOnTheArmhfMirrorIsItsSixteenPackageClosure()
    {
        var solver = new PackageSolver(IndexFiles.Load(Path.Combine(ArmhfFolder, "APKINDEX.tar.gz"), ArmhfFolder), "armhf");
        var packages = solver.Solve(["alpine-base"]).Packages;

        Assert.Equal(16, packages.Count);
        Assert.Equal(packages.Count, packages.Select(p => p.Name).Distinct().Count());
        // The mirror folder holds exactly these files (and others, for other tests).
        foreach (var package in packages)
            Assert.True(File.Exists(Path.Combine(package.Repository, package.FileName)), $"{package.FileName} is not in the mirror");
        var inFolder = Directory.GetFiles(ArmhfFolder, "*.apk").Select(f => Path.GetFileName(f)).ToHashSet();
        Assert.Subset(inFolder, packages.Select(p => p.FileName).ToHashSet());
        Assert.Contains("alpine-base-3.7.0-r0.apk", inFolder);
        Assert.Equal("alpine-base-3.7.0-r0", packages[^1].ToString());
        AssertClosedAndOrdered(packages);
    }

    [FixtureTheory]
    [InlineData("x86_64", "build-base")]
    [InlineData("x86_64", "busybox python3 git")]
    [InlineData("aarch64", "alpine-sdk")]
    public void SolutionsAreClosedAndDependenciesComeFirst(string arch, string world)
    {
        var index = arch == "x86_64" ? Fixtures.X86_64Index : Fixtures.Aarch64Index;
        var packages = new PackageSolver(IndexFiles.Load(index, arch), arch).Solve(world.Split(' ')).Packages;
        Assert.All(packages, p => Assert.True(p.Arch is null || p.Arch == arch || p.Arch == "noarch"));
        AssertClosedAndOrdered(packages);
    }

    [FixtureTheory]
    [InlineData("x86_64")]
    [InlineData("aarch64")]
    [InlineData("armhf")]
    public void EveryTokenOfTheRealIndexesParses(string arch)
    {
        var index = arch switch
        {
            "x86_64" => Fixtures.X86_64Index,
            "aarch64" => Fixtures.Aarch64Index,
            _ => Path.Combine(ArmhfFolder, "APKINDEX.tar.gz"),
        };
        var entries = IndexFiles.Load(index, arch);
        Assert.True(entries.Count > 4900);
        var tokens = entries.SelectMany(e => e.Depends.Concat(e.Provides).Concat(e.InstallIf)).ToList();
        Assert.All(tokens, token => Assert.Equal(token, Dependency.Parse(token).ToString()));
        // A few old packages have a number right after a letter (`0.99f7`), which apk-tools 3.0 no longer accepts.
        Assert.All(entries, e => Assert.True(ApkVersion.IsValid(e.Version) || LetterThenDigit().IsMatch(e.Version), $"{e} has an invalid version"));
    }

    /// <summary>Every dependency of every package is met inside the solution, by a package installed before it
    /// unless both sit in one dependency cycle.</summary>
    private static void AssertClosedAndOrdered(IReadOnlyList<ApkIndexEntry> packages)
    {
        var position = new Dictionary<string, int>();
        for (var i = 0; i < packages.Count; i++)
        {
            position.TryAdd(packages[i].Name, i);
            foreach (var provide in packages[i].Provides.Select(Dependency.Parse))
                position.TryAdd(provide.Name, i);
        }
        var edges = packages.ToDictionary(p => p.Name, p => p.Depends.Select(Dependency.Parse)
            .Where(d => !d.Conflict).Select(d => packages[position[d.Name]].Name).ToList());
        for (var i = 0; i < packages.Count; i++)
        {
            foreach (var dependency in packages[i].Depends.Select(Dependency.Parse))
            {
                if (dependency.Conflict)
                {
                    Assert.False(position.ContainsKey(dependency.Name) && packages[position[dependency.Name]].Name != packages[i].Name
                        && !dependency.IsSatisfiedBy(VersionOf(packages[position[dependency.Name]], dependency.Name)),
                        $"{packages[i]} conflicts with '{dependency}'");
                    continue;
                }
                Assert.True(position.TryGetValue(dependency.Name, out var at), $"{packages[i]}: '{dependency}' is not installed");
                Assert.True(dependency.IsSatisfiedBy(VersionOf(packages[at], dependency.Name)), $"{packages[i]}: '{dependency}' is not met by {packages[at]}");
                Assert.True(at < i || Reaches(edges, packages[at].Name, packages[i].Name),
                    $"{packages[at]} is installed after {packages[i]}, which depends on it");
            }
        }
    }

    private static string? VersionOf(ApkIndexEntry package, string name) =>
        package.Name == name ? package.Version : package.Provides.Select(Dependency.Parse).First(p => p.Name == name).Version;

    private static bool Reaches(Dictionary<string, List<string>> edges, string from, string to)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>([from]);
        while (stack.TryPop(out var name))
        {
            if (name == to)
                return true;
            if (seen.Add(name))
                foreach (var next in edges[name])
                    stack.Push(next);
        }
        return false;
    }
}
