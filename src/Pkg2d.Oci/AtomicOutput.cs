using System.Runtime.InteropServices;

namespace Pkg2d.Oci;

/// <summary>
/// Makes an output appear complete or not at all: everything is written into a temporary sibling, fsynced, then
/// renamed into place (rename(2) is atomic within a filesystem); on any error the temporary is removed.
/// </summary>
public static partial class AtomicOutput
{
    /// <summary>
    /// Creates a new folder. An existing target is refused rather than replaced: rename(2) cannot replace a
    /// non-empty folder atomically, and deleting whatever a user's path points at is not a writer's call.
    /// </summary>
    public static async Task CreateDirectoryAsync(string target, Func<string, CancellationToken, Task> fill, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(target).TrimEnd('/');
        if (Path.Exists(full))
            throw new IOException($"'{full}' already exists; remove it or choose another path for the new layout");
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = TempSibling(full);
        Directory.CreateDirectory(temp);
        try
        {
            await fill(temp, cancellationToken).ConfigureAwait(false);
            SyncTree(temp);
            Directory.Move(temp, full);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
        SyncDirectory(parent);
    }

    /// <summary>Creates or atomically replaces a file: readers see the old file or the whole new one.</summary>
    public static async Task WriteFileAsync(string target, Func<Stream, CancellationToken, Task> fill, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(target);
        if (Directory.Exists(full))
            throw new IOException($"'{full}' is a folder; an archive needs a file path");
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = TempSibling(full);
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await fill(file, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        SyncDirectory(parent);
    }

    /// <summary>Creates a file inside a folder being filled, flushed to disk before it is closed.</summary>
    public static async Task WriteNewFileAsync(string path, Func<Stream, CancellationToken, Task> fill, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await fill(file, cancellationToken).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
    }

    private static string TempSibling(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");

    private static void SyncTree(string directory)
    {
        foreach (var sub in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories))
            SyncDirectory(sub);
        SyncDirectory(directory);
    }

    /// <summary>fsync(2) on a folder, so that the names created in it survive a crash.</summary>
    private static void SyncDirectory(string directory)
    {
        var fd = open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
            throw new IOException($"cannot open folder '{directory}' to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0)
                throw new IOException($"fsync of folder '{directory}' failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
