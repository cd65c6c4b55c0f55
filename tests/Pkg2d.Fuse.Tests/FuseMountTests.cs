using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Pkg2d.Testing;

namespace Pkg2d.Fuse.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FuseMountTests
{
    [FuseFact("cat", "sha256sum")]
    public async Task ServesFilesToFileApisAndTools()
    {
        await using var mounted = await Mounted.StartAsync();
        var fs = mounted.FileSystem;

        Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
        Assert.Equal(fs.Big, await File.ReadAllBytesAsync(mounted.Path("big.bin")));
        Assert.Equal(TestFileSystem.Nested, await File.ReadAllBytesAsync(mounted.Path("dir/nested.txt")));

        var cat = await Tool.RunAsync("cat", mounted.Path("hello.txt"));
        Assert.Equal((0, "hello, world\n"), (cat.ExitCode, cat.Output));
        var sum = await Tool.RunAsync("sha256sum", mounted.Path("big.bin"));
        Assert.Equal(0, sum.ExitCode);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(fs.Big)), sum.Output.Split(' ')[0]);
        Assert.True(fs.LargestRead >= 128 * 1024, $"largest read was {fs.LargestRead} bytes");
        Assert.Empty(mounted.Log);
    }

    [FuseFact]
    public async Task RandomOffsetReadsReturnTheRightBytes()
    {
        await using var mounted = await Mounted.StartAsync();
        var big = mounted.FileSystem.Big;
        var random = new Random(20261127);
        await using var stream = new FileStream(mounted.Path("big.bin"), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        var buffer = new byte[300_000];
        for (var i = 0; i < 200; i++)
        {
            var offset = random.NextInt64(big.Length + 1000);
            var length = random.Next(1, buffer.Length);
            var read = await RandomAccess.ReadAsync(stream.SafeFileHandle, buffer.AsMemory(0, length), offset);
            var expected = (int)Math.Clamp(big.Length - offset, 0, length);
            Assert.Equal(expected, read);
            Assert.True(buffer.AsSpan(0, read).SequenceEqual(big.AsSpan((int)Math.Min(offset, big.Length), expected)),
                $"bytes differ at offset {offset}, length {length}");
        }
    }

    [FuseFact("stat")]
    public async Task StatReportsSizesModesAndKinds()
    {
        await using var mounted = await Mounted.StartAsync();
        Assert.Equal(mounted.FileSystem.Big.Length, new FileInfo(mounted.Path("big.bin")).Length);
        Assert.Equal(TestFileSystem.Hello.Length, new FileInfo(mounted.Path("hello.txt")).Length);
        Assert.Equal(FileStat.ReadOnlyFile, File.GetUnixFileMode(mounted.Path("hello.txt")));
        Assert.Equal(FileStat.ReadOnlyDirectory, File.GetUnixFileMode(mounted.Path("dir")));
        Assert.True(Directory.Exists(mounted.Path("dir")));
        Assert.False(File.Exists(mounted.Path("dir")));
        Assert.False(File.Exists(mounted.Path("missing.txt")));
        Assert.Equal(DateTime.UnixEpoch, File.GetLastWriteTimeUtc(mounted.Path("hello.txt")));

        var stat = await Tool.RunAsync("stat", "-c", "%s %a %F %h", mounted.Path("big.bin"), mounted.Path("dir"));
        Assert.Equal($"{mounted.FileSystem.Big.Length} 444 regular file 1\n0 555 directory 2\n", stat.Output);
        var statfs = await Tool.RunAsync("stat", "-f", "-c", "%T %S", mounted.Root);
        Assert.Equal((0, "fuseblk 4096\n"), (statfs.ExitCode, statfs.Output));

        const int ENODATA = 61;
        Assert.Equal(ENODATA, Errno(getxattr(mounted.Path("hello.txt"), "user.any", null, 0)));
        Assert.Equal(0, (int)listxattr(mounted.Path("hello.txt"), null, 0));
    }

    [FuseFact("ls")]
    public async Task ReadDirListsEntriesAndLookupRevealsDynamicDirectories()
    {
        await using var mounted = await Mounted.StartAsync();
        var listed = Directory.GetFileSystemEntries(mounted.Root).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(TestFileSystem.RootEntries.Order(), listed);
        Assert.Equal(["nested.txt"], Directory.GetFiles(mounted.Path("dir")).Select(Path.GetFileName));
        Assert.Equal(["dir"], Directory.GetDirectories(mounted.Root).Select(Path.GetFileName));

        var ls = await Tool.RunAsync("ls", "-a", mounted.Root);
        Assert.Equal([".", "..", .. TestFileSystem.RootEntries.Order(StringComparer.Ordinal)],
            ls.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

        // "dyn" is never listed, yet exists when asked for by name.
        Assert.DoesNotContain("dyn", listed);
        Assert.True(Directory.Exists(mounted.Path("dyn")));
        Assert.Equal(TestFileSystem.Inner, await File.ReadAllBytesAsync(mounted.Path("dyn/inner.txt")));
        Assert.Equal(["inner.txt"], Directory.GetFiles(mounted.Path("dyn")).Select(Path.GetFileName));
    }

    [FuseFact]
    public async Task WritesFailWithEROFS()
    {
        await using var mounted = await Mounted.StartAsync();
        const int O_WRONLY = 1, O_CREAT = 0x40, EROFS = 30;
        Assert.Equal(EROFS, Errno(open(mounted.Path("hello.txt"), O_WRONLY, 0)));
        Assert.Equal(EROFS, Errno(open(mounted.Path("new.txt"), O_WRONLY | O_CREAT, 420)));
        Assert.Equal(EROFS, Errno(mkdir(mounted.Path("newdir"), 493)));
        Assert.Equal(EROFS, Errno(unlink(mounted.Path("hello.txt"))));
        Assert.Equal(EROFS, Errno(rmdir(mounted.Path("dir"))));
        Assert.Equal(EROFS, Errno(rename(mounted.Path("hello.txt"), mounted.Path("renamed.txt"))));
        Assert.ThrowsAny<IOException>(() => File.WriteAllText(mounted.Path("hello.txt"), "overwritten"));
        Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
    }

    [FuseFact]
    public async Task ImmutableFilesStayInThePageCache()
    {
        await using var mounted = await Mounted.StartAsync();
        for (var i = 0; i < 3; i++)
            Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
        Assert.Equal(1, mounted.FileSystem.Reads["/hello.txt"]);
    }

    [FuseFact("cat")]
    public async Task ChangingFileIsNeverServedStale()
    {
        await using var mounted = await Mounted.StartAsync();
        var path = mounted.Path("changing.txt");
        Assert.Equal("version 1\n", await File.ReadAllTextAsync(path));
        Assert.Equal("version 1\n", await File.ReadAllTextAsync(path));
        Assert.Equal(2, mounted.FileSystem.Reads["/changing.txt"]);

        mounted.FileSystem.Changing = "version two, longer\n";
        Assert.Equal("version two, longer\n".Length, new FileInfo(path).Length); // zero attribute timeout
        Assert.Equal("version two, longer\n", await File.ReadAllTextAsync(path));

        // Same size and time as before: only dropping the page cache at open can show the new bytes.
        mounted.FileSystem.Changing = "version six, longer\n";
        Assert.Equal("version six, longer\n", (await Tool.RunAsync("cat", path)).Output);
        Assert.Equal("version six, longer\n", await File.ReadAllTextAsync(path));
    }

    [FuseFact]
    public async Task ConcurrentReadersAllSeeTheRightBytes()
    {
        await using var mounted = await Mounted.StartAsync();
        var big = mounted.FileSystem.Big;
        var expected = SHA256.HashData(big);
        var readers = Enumerable.Range(0, 8).Select(n => Task.Run(async () =>
        {
            var random = new Random(n);
            using var handle = File.OpenHandle(mounted.Path("big.bin"));
            var buffer = new byte[64 * 1024];
            for (var i = 0; i < 40; i++)
            {
                var offset = random.NextInt64(big.Length);
                var read = await RandomAccess.ReadAsync(handle, buffer, offset);
                if (!buffer.AsSpan(0, read).SequenceEqual(big.AsSpan((int)offset, read)))
                    throw new Xunit.Sdk.XunitException($"reader {n}: wrong bytes at {offset}");
            }
            return SHA256.HashData(await File.ReadAllBytesAsync(mounted.Path("big.bin")));
        })).ToArray();
        foreach (var hash in await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(20)))
            Assert.Equal(expected, hash);
    }

    [FuseFact("cat")]
    public async Task FailingReadsAreEIOAndTheSessionGoesOn()
    {
        await using var mounted = await Mounted.StartAsync();
        const int EIO = 5;
        foreach (var name in new[] { "broken.bin", "throws.bin" })
        {
            var fd = open(mounted.Path(name), 0, 0);
            Assert.True(fd >= 0, $"open {name}");
            try
            {
                var buffer = new byte[4096];
                Assert.Equal(EIO, Errno((int)read(fd, buffer, buffer.Length)));
            }
            finally
            {
                close(fd);
            }
        }
        var cat = await Tool.RunAsync("cat", mounted.Path("broken.bin"));
        Assert.NotEqual(0, cat.ExitCode);
        Assert.Contains("Input/output error", cat.Errors);
        Assert.Contains(mounted.Log, line => line.Contains("/throws.bin") && line.Contains("fails on purpose"));
        Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
    }

    [FuseFact("cat")]
    public async Task KillingABlockedReaderInterruptsTheRead()
    {
        await using var mounted = await Mounted.StartAsync();
        var fs = mounted.FileSystem;
        using var cat = Process.Start(new ProcessStartInfo("cat", [mounted.Path("slow.bin")]) { RedirectStandardOutput = true })!;
        await fs.SlowReadStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var watch = Stopwatch.StartNew();
        cat.Kill();
        await cat.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await fs.SlowReadCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10));
        Assert.False(mounted.Mount.Completion.IsCompleted);
        Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
        Assert.Empty(mounted.Log);
    }

    [FuseFact("fusermount3")]
    public async Task MountsThroughFusermount()
    {
        string root;
        await using (var mounted = await Mounted.StartAsync(new FuseMountOptions { UseFusermount = true }))
        {
            root = mounted.Root;
            Assert.Equal("fuse.pkg2d", MountTable.Find(root)?.FileSystemType);
            Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(mounted.Path("hello.txt")));
            await mounted.Mount.DisposeAsync();
            Assert.Null(MountTable.Find(root));
            await mounted.Mount.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        }
    }

    [FuseFact]
    public async Task StaleMountOfACrashedServerIsReplaced()
    {
        var root = Mounted.NewMountPoint();
        try
        {
            // A server that mounted and died: its /dev/fuse descriptor closes and the mount is left ENOTCONN.
            var fd = Native.open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC);
            Assert.True(fd >= 0);
            var mounted = Native.mount("pkg2d", root, "fuse.pkg2d", Native.MS_RDONLY | Native.MS_NOSUID | Native.MS_NODEV,
                $"fd={fd},rootmode=40000,user_id=0,group_id=0");
            Native.close(fd);
            Assert.Equal(0, mounted);
            Assert.Equal(Native.ENOTCONN, Native.StatfsError(root));

            await using var replacement = await Mounted.StartAsync(mountPoint: root);
            Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(replacement.Path("hello.txt")));
            Assert.Single(MountTable.Read(), m => m.MountPoint == root);
        }
        finally
        {
            Mounted.Cleanup(root);
        }
    }

    [FuseFact]
    public async Task MountPointUsedByALiveMountIsAnError()
    {
        await using var first = await Mounted.StartAsync();
        var error = Assert.Throws<InvalidOperationException>(() => FuseMount.Mount(first.Root, new TestFileSystem()));
        Assert.Contains(first.Root, error.Message);
        Assert.Equal(TestFileSystem.Hello, await File.ReadAllBytesAsync(first.Path("hello.txt")));
    }

    [FuseFact]
    public async Task DisposeUnmountsAndEndsTheSession()
    {
        await using var mounted = await Mounted.StartAsync();
        Assert.True(mounted.Mount.Ready.IsCompletedSuccessfully);
        Assert.NotNull(MountTable.Find(mounted.Root));
        await File.ReadAllBytesAsync(mounted.Path("hello.txt"));

        await mounted.Mount.DisposeAsync();
        Assert.Null(MountTable.Find(mounted.Root));
        await mounted.Mount.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("/hello.txt", mounted.FileSystem.Released);
        Assert.Empty(mounted.Log);
    }

    [FuseFact]
    public async Task DisposeWhileAFileIsOpenDetachesLazily()
    {
        await using var mounted = await Mounted.StartAsync();
        using (var open = File.OpenRead(mounted.Path("big.bin")))
        {
            await mounted.Mount.DisposeAsync();
            Assert.Null(MountTable.Find(mounted.Root));
            var buffer = new byte[1000];
            Assert.Equal(1000, open.Read(buffer)); // the detached mount still serves what is open
            Assert.Equal(mounted.FileSystem.Big[..1000], buffer);
        }
        await mounted.Mount.Completion.WaitAsync(TimeSpan.FromSeconds(5));
    }

    private static int Errno(long result) => result < 0 ? Marshal.GetLastPInvokeError() : 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int open(string path, int flags, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern nint getxattr(string path, string name, byte[]? value, nint size);

    [DllImport("libc", SetLastError = true)]
    private static extern nint listxattr(string path, byte[]? list, nint size);

    [DllImport("libc", SetLastError = true)]
    private static extern int mkdir(string path, int mode);

    [DllImport("libc", SetLastError = true)]
    private static extern int unlink(string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int rmdir(string path);

    [DllImport("libc", SetLastError = true)]
    private static extern int rename(string from, string to);
}
