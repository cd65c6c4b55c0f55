namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Edge cases of apk's solver on small indexes this test writes, our answer against Alpine's apk 2.14.4: the same
/// packages in the same order, or an error from both where ours names every package apk blames.
/// </summary>
public sealed class EdgeCaseDifferentialTests(ApkReference apk) : IClassFixture<ApkReference>
{
    /// <summary>An index record: `name-version` then fields as `D:...`, `p:...`, `i:...`, `k:...`.</summary>
    private static string Package(string nameVersion, params string[] fields)
    {
        var dash = nameVersion.LastIndexOf('-', nameVersion.LastIndexOf('-') - 1);
        var text = $"C:Q1{Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(nameVersion)))}\n"
            + $"P:{nameVersion[..dash]}\nV:{nameVersion[(dash + 1)..]}\nA:x86_64\nS:1\nI:1\nT:test\n";
        return text + string.Concat(fields.Select(f => f + "\n")) + "\n";
    }

    public static TheoryData<string, string[]> Cases => new()
    {
        // install_if: the newest version's dependencies cannot be met, an older one is taken, or none at all.
        { "a", [Package("a-1.0-r0"), Package("x-2.0-r0", "i:a", "D:missing"), Package("x-1.0-r0", "i:a")] },
        { "a", [Package("a-1.0-r0"), Package("x-2.0-r0", "i:a", "D:missing")] },
        { "a", [Package("a-1.0-r0"), Package("x-2.0-r0", "i:a", "D:b>=2"), Package("x-1.0-r0", "i:a", "D:b"), Package("b-1.0-r0")] },
        { "a lib=1.0-r0", [Package("a-1.0-r0"), Package("lib-1.0-r0"), Package("lib-2.0-r0"), Package("x-2.0-r0", "i:a", "D:lib=2.0-r0"), Package("x-1.0-r0", "i:a", "D:lib")] },
        { "a lib=1.0-r0", [Package("a-1.0-r0"), Package("lib-1.0-r0"), Package("lib-2.0-r0"), Package("x-2.0-r0", "i:a", "D:lib=2.0-r0")] },
        // install_if met only partly, or through a provider that was not chosen.
        { "a", [Package("a-1.0-r0"), Package("x-1.0-r0", "i:a v"), Package("q-1.0-r0", "p:v")] },
        { "a lib", [Package("a-1.0-r0"), Package("lib-1.0-r0"), Package("x-1.0-r0", "i:a lib>=2")] },
        { "a p2", [Package("a-1.0-r0"), Package("p1-1.0-r0", "p:v=1"), Package("p2-1.0-r0", "p:v=1"), Package("x-1.0-r0", "i:a p1")] },
        { "a p2", [Package("a-1.0-r0"), Package("p1-1.0-r0", "p:v=2"), Package("p2-1.0-r0", "p:v=1"), Package("x-1.0-r0", "i:a v=2")] },
        // A package providing its own name, or two versions of one name.
        { "a", [Package("a-1.0-r0", "p:a=1.0-r0")] },
        { "a", [Package("a-1.0-r0", "p:a=2.0")] },
        { "x y", [Package("x-1.0-r0", "D:lib=1.0-r0"), Package("y-1.0-r0", "D:lib=2.0-r0"), Package("lib-1.0-r0"), Package("lib-2.0-r0")] },
        { "old<2 new", [Package("old-1.0-r0"), Package("new-2.0-r0", "p:old=2.0-r0")] },
        // World names real packages that one other package also provides, at a lower priority.
        { "a b", [Package("a-1.0-r0"), Package("b-1.0-r0"), Package("ab-1.0-r0", "p:a=1.0-r0 b=1.0-r0", "k:1")] },
        { "a b", [Package("a-1.0-r0"), Package("b-1.0-r0"), Package("ab-1.0-r0", "p:a=2.0 b=2.0", "k:1")] },
        { "a", [Package("a-1.0-r0"), Package("ab-1.0-r0", "p:a=2.0", "k:1")] },
        { "a b", [Package("a-1.0-r0", "k:10"), Package("b-1.0-r0", "k:10"), Package("ab-1.0-r0", "p:a=1.0-r0 b=1.0-r0", "k:1")] },
        // A world name that is only an unversioned provide of an install_if package.
        { "virt", [Package("a-1.0-r0"), Package("x-1.0-r0", "p:virt", "i:a")] },
        { "a virt", [Package("a-1.0-r0"), Package("x-1.0-r0", "p:virt", "i:a")] },
        // pc: and so: names whose providers require different versions of one package.
        { "app", [Package("app-1.0-r0", "D:pc:foo so:libbar.so.1"), Package("foo-dev-1.0-r0", "p:pc:foo=1.0", "D:base=1.0-r0"),
            Package("libbar-1.0-r0", "p:so:libbar.so.1=1", "D:base=2.0-r0"), Package("base-1.0-r0"), Package("base-2.0-r0")] },
        { "app", [Package("app-1.0-r0", "D:pc:foo so:libbar.so.1"), Package("foo-dev-2.0-r0", "p:pc:foo=2.0", "D:base=1.0-r0"),
            Package("foo-dev-1.0-r0", "p:pc:foo=1.0", "D:base=2.0-r0"), Package("libbar-1.0-r0", "p:so:libbar.so.1=1", "D:base=2.0-r0"),
            Package("base-1.0-r0"), Package("base-2.0-r0")] },
        // Chains where an intermediate package has to be an older version.
        { "a", [Package("a-1.0-r0", "D:b"), Package("b-2.0-r0", "D:c>=2"), Package("b-1.0-r0", "D:c"), Package("c-1.0-r0")] },
        { "a", [Package("a-1.0-r0", "D:b c<2"), Package("b-2.0-r0", "D:d"), Package("d-1.0-r0", "D:c>=2"), Package("b-1.0-r0"),
            Package("c-1.0-r0"), Package("c-2.0-r0")] },
        { "a", [Package("a-1.0-r0", "D:b"), Package("b-2.0-r0", "D:c"), Package("c-2.0-r0", "D:missing"), Package("c-1.0-r0"), Package("b-1.0-r0")] },
    };

    [ApkReferenceTheory]
    [MemberData(nameof(Cases))]
    public void SameAsApk(string world, string[] packages)
    {
        var index = string.Concat(packages);
        var entries = world.Split(' ');
        var (expected, blamed) = apk.SimulateIndex(index, entries);
        var solver = new PackageSolver(IndexFiles.Parse(index), "x86_64");
        if (expected is null)
        {
            var error = Assert.Throws<SolverException>(() => solver.Solve(entries));
            Assert.NotEmpty(blamed);
            Assert.All(blamed, name => Assert.Contains(name, error.Message));
            return;
        }
        Assert.Equal(expected, solver.Solve(entries).Packages.Select(p => p.ToString()).ToList());
    }
}
