using Pkg2d.Testing;

namespace Pkg2d.Resolve.Tests;

/// <summary>One solver used by several threads at once, as a long-running service does.</summary>
public class ConcurrencyTests
{
    private static readonly string[] Worlds =
    [
        "build-base", "python3", "gcc", "alpine-base", "git openssh curl", "busybox /bin/sh", "perl bash coreutils",
        "nginx", "apg boost1.77 busybox docs", "bash bash-doc man-pages mandoc", "zlib<1.2.12 so:libz.so.1", "no-such-package",
    ];

    [FixtureFact]
    public void ParallelSolvesOnAFreshSolverMatchSequentialOnes()
    {
        var entries = IndexFiles.Load(Fixtures.X86_64Index, "x86_64");
        var sequential = new PackageSolver(entries, "x86_64");
        var expected = Worlds.Select(w => Outcome(sequential, w)).ToArray();
        Assert.Contains(expected, e => e.StartsWith("error", StringComparison.Ordinal));

        // A fresh solver, so that the threads race to parse the packages they meet first.
        var shared = new PackageSolver(entries, "x86_64");
        var rounds = 4;
        var actual = new string[rounds * Worlds.Length];
        using var start = new Barrier(Environment.ProcessorCount < 4 ? 4 : Environment.ProcessorCount);
        var threads = Enumerable.Range(0, start.ParticipantCount).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = t; i < actual.Length; i += start.ParticipantCount)
                actual[i] = Outcome(shared, Worlds[i % Worlds.Length]);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        for (var i = 0; i < actual.Length; i++)
            Assert.Equal(expected[i % Worlds.Length], actual[i]);
    }

    private static string Outcome(PackageSolver solver, string world)
    {
        try
        {
            return string.Join(' ', solver.Solve(world.Split(' ')).Packages);
        }
        catch (SolverException e)
        {
            return "error " + e.Message;
        }
    }
}
