using System.Text;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// The solver against both apk-tools generations on random small indexes (<see cref="RandomIndex"/>): for every
/// case, the same set of packages as the generation it follows, or a refusal where apk refuses. Seeded and
/// reproducible: PKG2D_SOLVER_SEED and PKG2D_SOLVER_CASES change the first case and the count (300 from 20250 by
/// default), PKG2D_SOLVER_REPORT=PATH writes every disagreement to PATH.V2 / PATH.V3. Order differences are counted
/// in the report; the property is the set of packages, or a refusal from both.
/// </summary>
public sealed class SolverPropertyTests(ApkToolsOracle apk) : IClassFixture<ApkToolsOracle>
{
    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("PKG2D_SOLVER_SEED"), out var seed) ? seed : 20250;

    private static int Count => int.TryParse(Environment.GetEnvironmentVariable("PKG2D_SOLVER_CASES"), out var count) ? count : 300;

    [ApkReferenceTheory]
    [InlineData(ApkToolsGeneration.V2)]
    [InlineData(ApkToolsGeneration.V3)]
    public void SameAsApk(ApkToolsGeneration generation)
    {
        var cases = Enumerable.Range(Seed, Count).Select(RandomIndex.Case).ToArray();
        var answers = apk.Simulate(generation, [.. cases.Select(c => (c.Index, (IReadOnlyList<string>)c.World))]);
        var report = new StringBuilder();
        var differ = 0;
        var orderDiffers = 0;
        for (var i = 0; i < cases.Length; i++)
        {
            var (index, world) = cases[i];
            var expected = answers[i];
            List<string>? actual;
            string error = "";
            try
            {
                actual = [.. new PackageSolver(IndexFiles.Parse(index), "x86_64", generation: generation).Solve(world).Packages.Select(p => p.ToString())];
            }
            catch (SolverException e)
            {
                actual = null;
                error = e.Message;
            }
            var same = expected.Packages is null ? actual is null
                : actual is not null && expected.Packages.Order(StringComparer.Ordinal).SequenceEqual(actual.Order(StringComparer.Ordinal));
            if (same && expected.Packages is not null && !expected.Packages.SequenceEqual(actual!))
                orderDiffers++;
            if (same)
                continue;
            differ++;
            report.Append($"case {Seed + i}: world {string.Join(' ', world)}\n{index}apk: {expected.Output}\npkg2d: "
                + (actual is null ? error : string.Join(' ', actual)) + "\n\n");
        }
        if (Environment.GetEnvironmentVariable("PKG2D_SOLVER_REPORT") is { Length: > 0 } path)
            File.WriteAllText($"{path}.{generation}", $"{differ} of {cases.Length} differ, {orderDiffers} in order only\n\n{report}");
        Assert.True(differ == 0, $"{differ} of {cases.Length} cases differ from apk {generation}:\n{report}");
    }
}
