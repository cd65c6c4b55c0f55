using System.Diagnostics;

namespace Pkg2d.Fetch;

/// <summary>
/// One self-overwriting status line (`\r`) for a batch of downloads, drawn only once the batch has run for
/// <paramref name="after"/> (a second by default: short batches stay quiet) and at most five times a second;
/// null writer = silent (stderr is not a terminal).
/// </summary>
internal sealed class DownloadProgress(TextWriter? writer, TimeSpan? after = null)
{
    private readonly long _afterMs = (long)(after ?? TimeSpan.FromSeconds(1)).TotalMilliseconds;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private long _bytes;
    private long _totalBytes;
    private int _files;
    private int _filesDone;
    private long _lastDraw = -1000;
    private int _width;

    public void Expect(long bytes)
    {
        Interlocked.Add(ref _totalBytes, bytes);
        Interlocked.Increment(ref _files);
    }

    public void Advance(long bytes)
    {
        Interlocked.Add(ref _bytes, bytes);
        Draw();
    }

    public void Done()
    {
        Interlocked.Increment(ref _filesDone);
        Draw();
    }

    public void Finish()
    {
        if (writer is null)
            return;
        lock (_lock)
        {
            if (_width > 0)
                writer.Write("\r" + new string(' ', _width) + "\r");
            _width = 0;
            writer.Flush();
        }
    }

    private void Draw()
    {
        if (writer is null || _clock.ElapsedMilliseconds < _afterMs)
            return;
        lock (_lock)
        {
            var now = _clock.ElapsedMilliseconds;
            if (now - _lastDraw < 200)
                return;
            _lastDraw = now;
            var line = $"fetching packages: {_filesDone}/{_files}, {Mib(_bytes)}/{Mib(_totalBytes)} MiB";
            writer.Write("\r" + line.PadRight(_width));
            writer.Flush();
            _width = Math.Max(_width, line.Length);
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
