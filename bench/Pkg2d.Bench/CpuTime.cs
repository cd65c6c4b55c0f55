using System.Diagnostics;
using Pkg2d.Resolve;

namespace Pkg2d.Bench;

/// <summary>
/// The two aims measured again as CPU time of this process per operation, next to the median wall time, after a
/// warm-up long enough for tiered compilation: on a shared 2-core machine wall time grows with other processes' load,
/// CPU time much less.
/// </summary>
public static class CpuTime
{
    // Enough calls, for long enough, that tiered compilation has replaced the first (unoptimized) code.
    private const int WarmupCalls = 40;
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(1.5);

    private const int Rounds = 20;

    public static void Run(ResultRows rows)
    {
        var keys = BenchInputs.LoadKeys();
        var entries = BenchInputs.CheckedX86_64Index(keys).Entries;
        Measure(rows, "index", $"read + verify x86_64 APKINDEX, warm: CPU time per operation ({Rounds} rounds)", 50,
            () => BenchInputs.ReadX86_64Index(keys));
        Measure(rows, "resolve", $"construct + resolve `build-base`, warm: CPU time per operation ({Rounds} rounds)", 5,
            () => new PackageSolver(entries, "x86_64").Solve(["build-base"]));
    }

    private static void Measure(ResultRows rows, string area, string measurement, double aimMs, Func<object> operation)
    {
        var warmup = Stopwatch.StartNew();
        for (var i = 0; i < WarmupCalls || warmup.Elapsed < WarmupTime; i++)
            GC.KeepAlive(operation());
        using var process = Process.GetCurrentProcess();
        var walls = new double[Rounds];
        var cpuBefore = process.TotalProcessorTime;
        for (var i = 0; i < Rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            GC.KeepAlive(operation());
            walls[i] = clock.Elapsed.TotalMilliseconds;
        }
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / Rounds;
        Array.Sort(walls);
        rows.Add(area, measurement, $"{ResultRows.Ms(cpuMs)} CPU (median wall {ResultRows.Ms(walls[Rounds / 2])})",
            $"< {aimMs} ms", ResultRows.Verdict(cpuMs, aimMs));
    }
}
