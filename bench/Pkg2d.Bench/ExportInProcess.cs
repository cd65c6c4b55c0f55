using System.Diagnostics;
using Pkg2d.Fetch;
using Pkg2d.Image;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Publish;
using Pkg2d.Oci;
using Pkg2d.Testing;

namespace Pkg2d.Bench;

/// <summary>
/// `pkg2d export --base '' --arch armhf alpine-base` inside one process, over a <see cref="LoopbackMirror"/> serving the
/// armhf fixture mirror: what an export costs once the runtime has started and the code is jitted, split into building
/// the image (index download and verification, resolution, package facts) and writing the layout, and the same
/// offline (no index download). bench/run measures the whole `pkg2d export` process beside it.
/// </summary>
public static class ExportInProcess
{
    private const int Rounds = 9;
    private const string IndexPath = "armhf/APKINDEX.tar.gz";

    public static async Task RunAsync(ResultRows rows)
    {
        using var dir = new TempDirectory("pkg2d-bench-export-");
        using var mirror = new LoopbackMirror(Fixtures.MirrorBase);
        var online = new RepositoryOptions
        {
            Repositories = [mirror.Url],
            Arch = "armhf",
            CacheDir = dir.Combine("cache"),
            KeysDirs = [BenchInputs.KeysDir],
            Progress = TextWriter.Null,
        };
        var offline = online with { Offline = true };
        var outputs = 0;
        ExportRequest Request(RepositoryOptions options) => new()
        {
            Output = dir.Combine("out" + outputs++),
            Images = [ImageSpec.Parse("alpine-base")],
            BaseWorld = [],
            Repositories = options,
        };

        var clock = Stopwatch.StartNew();
        var first = await Exporter.ExportAsync(Request(online), Console.Error.WriteLine);
        var cold = clock.Elapsed;
        if (first.FactsLearned != 16 || first.Layers != 17)
            throw new InvalidOperationException($"the cold export learned {first.FactsLearned} packages and wrote {first.Layers} layers, not 16 and 17");

        var indexBefore = mirror.RequestsFor(IndexPath);
        var packagesBefore = mirror.TotalRequests - indexBefore;
        var build = new List<TimeSpan>();
        var write = new List<TimeSpan>();
        for (var i = 0; i <= Rounds; i++)
        {
            var (b, w) = await TimedExportAsync(Request(online));
            if (i == 0)
                continue; // warm-up
            build.Add(b);
            write.Add(w);
        }
        var indexDownloads = (mirror.RequestsFor(IndexPath) - indexBefore) / (double)(Rounds + 1);
        var packageDownloads = mirror.TotalRequests - mirror.RequestsFor(IndexPath) - packagesBefore;

        var buildOffline = new List<TimeSpan>();
        var writeOffline = new List<TimeSpan>();
        for (var i = 0; i <= Rounds; i++)
        {
            var (b, w) = await TimedExportAsync(Request(offline));
            if (i == 0)
                continue;
            buildOffline.Add(b);
            writeOffline.Add(w);
        }

        // Where a warm build goes: the engine's steps one by one, as Exporter.BuildAsync runs them.
        var phases = new List<TimeSpan[]>();
        for (var i = 0; i <= Rounds; i++)
        {
            var clock2 = Stopwatch.StartNew();
            using var engine = new ImageEngine(offline);
            var created = clock2.Elapsed;
            await engine.SourceAsync();
            var opened = clock2.Elapsed;
            var resolved = await engine.ResolveAsync("alpine-base", ["alpine-base"]);
            var solved = clock2.Elapsed;
            await engine.AssembleAsync(resolved);
            var assembled = clock2.Elapsed;
            if (i > 0)
                phases.Add([created, opened - created, solved - opened, assembled - solved]);
        }
        string Phase(int p) => ResultRows.Ms(Median(phases.Select(x => x[p])));

        const string area = "export";
        rows.Add(area, "in-process: first export in a fresh process, empty cache (cold: includes JIT, of the in-process mirror too; no runtime start-up)", ResultRows.Ms(cold.TotalMilliseconds));
        rows.Add(area, $"in-process, fully warm cache, jitted: `Exporter.BuildAsync` (index download + verify, resolve, facts) + `OciLayoutWriter.WriteAsync` (median of {Rounds})",
            $"{ResultRows.Ms(Median(build.Zip(write, (b, w) => b + w)))} = build {ResultRows.Ms(Median(build))} + write {ResultRows.Ms(Median(write))}; "
            + $"{ResultRows.F(indexDownloads, "0.#")} index download(s) per export, {packageDownloads} package downloads in all");
        rows.Add(area, $"in-process, fully warm cache, jitted, `--offline` (no index download) (median of {Rounds})",
            $"{ResultRows.Ms(Median(buildOffline.Zip(writeOffline, (b, w) => b + w)))} = build {ResultRows.Ms(Median(buildOffline))} + write {ResultRows.Ms(Median(writeOffline))}");
        rows.Add(area, $"in-process, warm, jitted, `--offline`: the build's steps (`ImageEngine`; median of {Rounds} each)",
            $"new engine (keys) {Phase(0)}; `SourceAsync` (read + verify the cached index) {Phase(1)}; "
            + $"`ResolveAsync` (solver over the index + solve) {Phase(2)}; `AssembleAsync` (facts from the metadata cache, top layer) {Phase(3)}");
    }

    private static async Task<(TimeSpan Build, TimeSpan Write)> TimedExportAsync(ExportRequest request)
    {
        var clock = Stopwatch.StartNew();
        using var build = await Exporter.BuildAsync(request, Console.Error.WriteLine);
        var built = clock.Elapsed;
        await OciLayoutWriter.WriteAsync(build.Layout, request.Output);
        if (build.Summary.FactsLearned != 0 || !File.Exists(Path.Combine(request.Output, "index.json")))
            throw new InvalidOperationException($"a warm export learned {build.Summary.FactsLearned} packages or wrote no {request.Output}/index.json");
        return (built, clock.Elapsed - built);
    }

    private static double Median(IEnumerable<TimeSpan> times)
    {
        var sorted = times.Order().ToArray();
        return sorted[sorted.Length / 2].TotalMilliseconds;
    }
}
