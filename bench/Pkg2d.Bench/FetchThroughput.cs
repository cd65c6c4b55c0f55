using System.Diagnostics;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Verification;
using Pkg2d.Fetch;
using Pkg2d.Testing;

namespace Pkg2d.Bench;

/// <summary>
/// Download-and-verify throughput: the 32 packages of the armhf fixture mirror fetched by <see cref="ApkSource"/> over a
/// <see cref="LoopbackMirror"/> into an emptied cache (4 downloads at a time, the default), and the same packages
/// verified from disk without HTTP, to tell the network path from the verifier. Medians of several rounds.
/// </summary>
public static class FetchThroughput
{
    private const int Rounds = 7;

    public static async Task RunAsync(ResultRows rows)
    {
        using var cacheDir = new TempDirectory("pkg2d-bench-");
        using var mirror = new LoopbackMirror(Fixtures.MirrorBase);
        var options = new RepositoryOptions
        {
            Repositories = [mirror.Url],
            Arch = "armhf",
            CacheDir = cacheDir.Path,
            KeysDirs = [BenchInputs.KeysDir],
            Progress = TextWriter.Null,
        };

        var clock = Stopwatch.StartNew();
        using var source = await ApkSource.OpenAsync(options, warn: Console.Error.WriteLine);
        var opened = clock.Elapsed;
        var indexEntries = source.Packages.Count();

        // The packages the fixture mirror holds, as the index names them (C: and S: match the files).
        var entries = source.Packages
            .Where(e => new FileInfo(Path.Combine(BenchInputs.ArmhfFolder, e.FileName)) is { Exists: true } f && f.Length == e.Size)
            .ToArray();
        var closure = source.Resolve(["alpine-base"]).Packages;
        if (entries.Length != 32 || closure.Count != 16 || closure.Any(p => !entries.Contains(p)))
            throw new InvalidOperationException(
                $"{BenchInputs.ArmhfFolder}: expected 32 packages covering the 16 of alpine-base's closure, found {entries.Length} and {closure.Count}");
        var bytes = entries.Sum(e => e.Size);

        var fetch = await MedianAsync(async () =>
        {
            foreach (var file in Directory.EnumerateFiles(source.Cache.PackagesDir))
                File.Delete(file);
            var fetched = await source.FetchAsync(entries);
            if (fetched.Count != entries.Length || fetched.Any(f => !f.Downloaded))
                throw new InvalidOperationException("a package was not downloaded into the emptied cache");
        });
        var requests = mirror.TotalRequests;
        var verify = await MedianAsync(() =>
        {
            foreach (var entry in entries)
            {
                using var file = new FileStream(Path.Combine(BenchInputs.ArmhfFolder, entry.FileName), FileMode.Open, FileAccess.Read, FileShare.Read, 81920);
                PackageVerifier.Verify(file, entry, source.Keys, allowUntrusted: false, warn: null);
            }
            return Task.CompletedTask;
        });

        const string area = "fetch";
        var what = $"{entries.Length} armhf packages, {ResultRows.F(bytes / 1e6, "0.00")} MB";
        rows.Add(area, $"`ApkSource.OpenAsync` over the loopback mirror: download + verify the armhf index ({indexEntries:N0} entries), cold",
            ResultRows.Ms(opened.TotalMilliseconds));
        rows.Add(area, $"`ApkSource.FetchAsync` from the loopback mirror into an empty cache ({what}; median of {Rounds})",
            $"{ResultRows.MBps(bytes, fetch)} ({ResultRows.Ms(fetch.TotalMilliseconds)}; {requests} requests in {Rounds + 1} rounds)");
        rows.Add(area, $"`PackageVerifier.Verify` of the same files from disk, no HTTP, one at a time (median of {Rounds})",
            $"{ResultRows.MBps(bytes, verify)} ({ResultRows.Ms(verify.TotalMilliseconds)})");
    }

    /// <summary>One warm-up round, then the median of <see cref="Rounds"/> timed rounds.</summary>
    private static async Task<TimeSpan> MedianAsync(Func<Task> round)
    {
        await round();
        var times = new List<TimeSpan>();
        for (var i = 0; i < Rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            await round();
            times.Add(clock.Elapsed);
        }
        times.Sort();
        return times[Rounds / 2];
    }
}
