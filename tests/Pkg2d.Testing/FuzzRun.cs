namespace Pkg2d.Testing;

/// <summary>Running one generated case with a time bound, an allocation bound and the exceptions it may end with.</summary>
public static class FuzzRun
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    public static void Check(List<string> failures, string label, long maxAllocated, Type[] allowed, Action action)
    {
        Exception? error = null;
        long allocated = 0;
        var task = Task.Run(() =>
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        if (!task.Wait(Limit))
            Assert.Fail($"{label}: still running after {Limit.TotalSeconds} s");
        if (error is not null && !allowed.Any(t => t.IsInstanceOfType(error)))
            failures.Add($"{label}: unexpected {error.GetType().FullName}: {error.Message}\n{error.StackTrace}");
        else if (allocated > maxAllocated)
            failures.Add($"{label}: allocated {allocated / (1024 * 1024)} MiB, more than {maxAllocated / (1024 * 1024)} MiB");
    }

    public static void AssertNone(List<string> failures) =>
        Assert.True(failures.Count == 0, $"{failures.Count} failing cases:\n" + string.Join("\n\n", failures.Take(10)));
}
