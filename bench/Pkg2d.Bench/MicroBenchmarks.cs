using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Pkg2d.Resolve;

namespace Pkg2d.Bench;

/// <summary>
/// Index and solver timings with BenchmarkDotNet: ShortRun (3 warm-up and 3 measured iterations), in process (no
/// generated project to build), memory diagnoser for allocations per operation.
/// </summary>
public static class MicroBenchmarks
{
    public static void Run(ResultRows rows)
    {
        var artifacts = Environment.GetEnvironmentVariable("PKG2D_BENCH_ARTIFACTS")
            ?? Path.Combine(Path.GetTempPath(), "pkg2d-bench-artifacts");
        var config = ManualConfig.CreateEmpty()
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(ConsoleLogger.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .WithArtifactsPath(artifacts);
        var summaries = BenchmarkRunner.Run([typeof(IndexBenchmarks), typeof(SolverBenchmarks), typeof(ResolveBenchmarks)], config);

        var sizes = SolutionSizes();
        foreach (var report in summaries.SelectMany(s => s.Reports))
            Add(rows, report, sizes);
    }

    private static void Add(ResultRows rows, BenchmarkReport report, IReadOnlyDictionary<string, int> sizes)
    {
        var method = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
        var world = report.BenchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == "World")?.Value as string;
        var (area, measurement, aimMs) = method switch
        {
            "LoadKeys" => ("index", "load the 17 Alpine keys (`TrustedKeys.Load`)", (double?)null),
            "ReadAndVerifyIndex" => ("index", $"read + verify x86_64 APKINDEX ({BenchInputs.X86_64Entries:N0} entries), warm", 50),
            "ConstructSolver" => ("resolve", "construct `PackageSolver` over the index", null),
            "ConstructAndResolveBuildBase" => ("resolve", $"construct + resolve `build-base` ({sizes["build-base"]} packages)", 5),
            "Resolve" => ("resolve", $"resolve `{world}` ({sizes[world!]} packages), solver built once", world == "build-base" ? 5 : null),
            _ => ("other", method, null),
        };
        if (report.ResultStatistics is not { } stats)
        {
            rows.Add(area, measurement, "no result (the benchmark failed; see the log)", aimMs is { } a ? $"< {a} ms" : "", "FAILED");
            return;
        }
        var meanMs = stats.Mean / 1e6;
        var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
        var result = $"{ResultRows.Ms(meanMs)} ± {ResultRows.Ms(stats.StandardDeviation / 1e6)}, allocates {(allocated is { } b ? ResultRows.Bytes(b) : "?")}";
        rows.Add(area, measurement, result,
            aimMs is { } aim ? $"< {aim} ms" : "",
            aimMs is { } limit ? ResultRows.Verdict(meanMs, limit) : "");
    }

    private static Dictionary<string, int> SolutionSizes()
    {
        var solver = new PackageSolver(BenchInputs.CheckedX86_64Index(BenchInputs.LoadKeys()).Entries, "x86_64");
        return BenchInputs.Worlds.ToDictionary(w => w, w => solver.Solve([w]).Packages.Count);
    }
}
