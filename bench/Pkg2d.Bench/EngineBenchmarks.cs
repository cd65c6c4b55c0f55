using BenchmarkDotNet.Attributes;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Resolve;

namespace Pkg2d.Bench;

/// <summary>Loading the trusted keys, and reading plus verifying the real x86_64 index (warm: the file is in the page cache).</summary>
public class IndexBenchmarks
{
    private TrustedKeys _keys = TrustedKeys.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _keys = BenchInputs.LoadKeys();
        BenchInputs.CheckedX86_64Index(_keys);
    }

    [Benchmark]
    public TrustedKeys LoadKeys() => BenchInputs.LoadKeys();

    [Benchmark]
    public ApkIndex ReadAndVerifyIndex() => BenchInputs.ReadX86_64Index(_keys);
}

/// <summary>Building the solver's lookup tables over the 4,929 entries, alone and followed by one resolution.</summary>
public class SolverBenchmarks
{
    private IReadOnlyList<ApkIndexEntry> _entries = [];

    [GlobalSetup]
    public void Setup() => _entries = BenchInputs.CheckedX86_64Index(BenchInputs.LoadKeys()).Entries;

    [Benchmark]
    public PackageSolver ConstructSolver() => new(_entries, "x86_64");

    /// <summary>What <c>ApkSource.Resolve</c> does per call: a new solver, then one world.</summary>
    [Benchmark]
    public Solution ConstructAndResolveBuildBase() => new PackageSolver(_entries, "x86_64").Solve(["build-base"]);
}

/// <summary>Resolving one world with a solver built once.</summary>
public class ResolveBenchmarks
{
    private PackageSolver? _solver;

    [Params("build-base", "python3", "gcc")]
    public string World { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _solver = new PackageSolver(BenchInputs.CheckedX86_64Index(BenchInputs.LoadKeys()).Entries, "x86_64");

    [Benchmark]
    public Solution Resolve() => _solver!.Solve([World]);
}
