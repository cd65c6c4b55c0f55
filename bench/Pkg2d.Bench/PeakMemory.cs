using System.Diagnostics;
using Pkg2d.Resolve;

namespace Pkg2d.Bench;

/// <summary>
/// Memory of a fresh process that loads the keys, reads and verifies the x86_64 index, builds the solver and resolves
/// the three worlds once, cold (first calls include JIT): peak working set (VmHWM) against the runtime's own, the GC
/// heap's size sampled every millisecond, what survives a full collection while the index and solver are alive, and
/// total allocations.
/// </summary>
public static class PeakMemory
{
    public static void Run(ResultRows rows)
    {
        using var process = Process.GetCurrentProcess();
        var startWorkingSet = process.PeakWorkingSet64;
        var startAllocated = GC.GetTotalAllocatedBytes(precise: true);

        using var sampler = new HeapSampler();
        var clock = Stopwatch.StartNew();
        var keys = BenchInputs.LoadKeys();
        var index = BenchInputs.CheckedX86_64Index(keys);
        var loaded = clock.Elapsed;
        var solver = new PackageSolver(index.Entries, "x86_64");
        var built = clock.Elapsed;
        var packages = BenchInputs.Worlds.Sum(w => solver.Solve([w]).Packages.Count);
        var resolved = clock.Elapsed;
        var peakHeap = sampler.Stop();

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - startAllocated;
        var live = GC.GetTotalMemory(forceFullCollection: true);
        var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GC.KeepAlive(index);
        GC.KeepAlive(solver);
        process.Refresh();
        var peakWorkingSet = process.PeakWorkingSet64;

        const string area = "memory";
        rows.Add(area, "peak working set (VmHWM) of a process that loads, verifies, builds the solver, resolves 3 worlds",
            $"{ResultRows.Bytes(peakWorkingSet)} (runtime alone at start: {ResultRows.Bytes(startWorkingSet)}, so +{ResultRows.Bytes(peakWorkingSet - startWorkingSet)})");
        rows.Add(area, "peak GC heap size during that work (sampled every 1 ms)", ResultRows.Bytes(peakHeap));
        rows.Add(area, "GC heap still live after a full GC, index + solver held", $"{ResultRows.Bytes(live)} (committed {ResultRows.Bytes(committed)})");
        rows.Add(area, "total allocated by that work", ResultRows.Bytes(allocated));
        rows.Add("cold", "first load + verify of the x86_64 index in a fresh process (includes JIT)", ResultRows.Ms(loaded.TotalMilliseconds));
        rows.Add("cold", "first solver construction", ResultRows.Ms((built - loaded).TotalMilliseconds));
        rows.Add("cold", $"first resolution of build-base, python3, gcc ({packages} packages in all)", ResultRows.Ms((resolved - built).TotalMilliseconds));
    }

    /// <summary>Polls the GC heap size on a background thread; <see cref="Stop"/> returns the largest value seen.</summary>
    private sealed class HeapSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _max;

        public HeapSampler()
        {
            _max = GC.GetTotalMemory(false);
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    _max = Math.Max(_max, GC.GetTotalMemory(false));
                    Thread.Sleep(1);
                }
            }) { IsBackground = true, Name = "heap sampler" };
            _thread.Start();
        }

        public long Stop()
        {
            _stop = true;
            _thread.Join();
            return Math.Max(_max, GC.GetTotalMemory(false));
        }

        public void Dispose()
        {
            if (!_stop)
                Stop();
        }
    }
}
