using System.Globalization;

namespace Pkg2d.Bench;

/// <summary>Rows of the results table (`| area | measurement | result | aim | verdict |`), appended to a file.</summary>
public sealed class ResultRows(string path)
{
    public void Add(string area, string measurement, string result, string aim = "", string verdict = "")
    {
        var line = $"| {area} | {measurement} | {result} | {aim} | {verdict} |";
        File.AppendAllLines(path, [line]);
        Console.WriteLine(line);
    }

    /// <summary>"met" or "MISSED" for a measured value against an upper bound.</summary>
    public static string Verdict(double measured, double limit) => measured < limit ? "met" : "MISSED";

    public static string Ms(double milliseconds) =>
        milliseconds < 1 ? F(milliseconds, "0.000") + " ms" : F(milliseconds, milliseconds < 10 ? "0.00" : "0.0") + " ms";

    public static string Bytes(double bytes) => bytes switch
    {
        >= 1 << 20 => F(bytes / (1 << 20), "0.0") + " MiB",
        >= 1 << 10 => F(bytes / (1 << 10), "0.0") + " KiB",
        _ => F(bytes, "0") + " B",
    };

    /// <summary>Throughput in MB/s (10^6 bytes per second), as disk and network tools print it.</summary>
    public static string MBps(long bytes, TimeSpan elapsed) => F(bytes / 1e6 / elapsed.TotalSeconds, "0.0") + " MB/s";

    public static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
