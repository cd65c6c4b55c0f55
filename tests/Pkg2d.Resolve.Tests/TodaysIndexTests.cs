using Pkg2d.Apk.Index;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Today's Alpine — the signed main indexes of 3.21.3, 3.22.2 and 3.23.4 — resolved by pkg2d and by both real apk
/// generations (2.14.4 in a chroot, 3.0.6 on the host), for each of the first 200 names of each index and for
/// multi-name worlds: the same packages in the same install order, or both refuse and pkg2d names what apk blames.
/// </summary>
public sealed class TodaysIndexTests(ApkToolsOracle apk, ITestOutputHelper output) : IClassFixture<ApkToolsOracle>
{
    private const int FirstNames = 200;

    /// <summary>Worlds users ask for, beside the generated ones.</summary>
    private static readonly string[] Common =
    [
        "alpine-base", "build-base", "busybox /bin/sh", "python3 py3-pip", "git openssh curl", "nginx", "so:libz.so.1",
        "cmd:ls", "perl bash coreutils", "alpine-sdk", "gcc musl-dev make", "openrc openssh-server chrony", "docs bash",
    ];

    public static TheoryData<string, ApkToolsGeneration> Cases => new()
    {
        { "v3.21.3", ApkToolsGeneration.V2 }, { "v3.21.3", ApkToolsGeneration.V3 },
        { "v3.22.2", ApkToolsGeneration.V2 }, { "v3.22.2", ApkToolsGeneration.V3 },
        { "v3.23.4", ApkToolsGeneration.V2 }, { "v3.23.4", ApkToolsGeneration.V3 },
    };

    [ApkReferenceTheory]
    [MemberData(nameof(Cases))]
    public void Resolution_equals_apk(string release, ApkToolsGeneration generation)
    {
        var index = Fixtures.Path("indexes", $"{release}-main-x86_64-APKINDEX.tar.gz");
        var entries = IndexFiles.Load(index, "x86_64");
        var worlds = Worlds(entries, release);
        var answers = apk.SimulateSigned(generation, index, "x86_64", worlds);
        var solver = new PackageSolver(entries, "x86_64", generation: generation);

        var disagreements = new List<string>();
        for (var i = 0; i < worlds.Count; i++)
            if (Disagreement(solver, worlds[i], answers[i]) is { } disagreement)
                disagreements.Add($"{string.Join(' ', worlds[i])}: {disagreement}");
        output.WriteLine($"{release}, apk-tools {(int)generation}: {worlds.Count} worlds, {answers.Count(a => a.Packages is null)} refused by apk, "
            + $"{answers.Sum(a => a.Packages?.Count ?? 0)} packages installed in all, {disagreements.Count} disagreements");
        Assert.True(disagreements.Count == 0,
            $"{release}, apk-tools {(int)generation}: {disagreements.Count} of {worlds.Count} worlds differ\n{string.Join('\n', disagreements.Take(20))}");
    }

    /// <summary>
    /// Each of the first 200 names of the index (in its order) alone, the common worlds, and 50 worlds of two to
    /// five names drawn from the whole index (seeded by the release, so every run asks the same).
    /// </summary>
    private static List<IReadOnlyList<string>> Worlds(List<ApkIndexEntry> entries, string release)
    {
        var names = entries.Select(e => e.Name).Distinct().ToList();
        var worlds = new List<IReadOnlyList<string>>(names.Take(FirstNames).Select(n => (IReadOnlyList<string>)[n]));
        worlds.AddRange(Common.Select(w => (IReadOnlyList<string>)w.Split(' ')));
        var random = new Random(release.Aggregate(20261207, (hash, c) => hash * 31 + c));
        for (var i = 0; i < 50; i++)
            worlds.Add([.. Enumerable.Range(0, random.Next(2, 6)).Select(_ => names[random.Next(names.Count)]).Distinct()]);
        return worlds;
    }

    private static string? Disagreement(PackageSolver solver, IReadOnlyList<string> world, ApkAnswer apk)
    {
        try
        {
            var packages = solver.Solve(world).Packages.Select(p => p.ToString()).ToList();
            if (apk.Packages is null)
                return $"apk refuses ({string.Join(' ', apk.Blamed)}), pkg2d installs {packages.Count} packages";
            if (!packages.SequenceEqual(apk.Packages))
            {
                var missing = apk.Packages.Except(packages).ToList();
                var extra = packages.Except(apk.Packages).ToList();
                return missing.Count + extra.Count == 0
                    ? "another install order"
                    : $"pkg2d lacks {string.Join(' ', missing)}; pkg2d adds {string.Join(' ', extra)}";
            }
            return null;
        }
        catch (SolverException e)
        {
            if (apk.Packages is not null)
                return $"apk installs {apk.Packages.Count} packages, pkg2d refuses: {e.Message}";
            var unnamed = apk.Blamed.Where(name => !e.Message.Contains(name, StringComparison.Ordinal)).ToList();
            return unnamed.Count == 0 ? null : $"both refuse, pkg2d does not name {string.Join(' ', unnamed)}";
        }
    }
}
