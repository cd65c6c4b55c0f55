using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Pkg2d.Fuse;

/// <summary>
/// Serves FUSE requests read from a /dev/fuse descriptor. A few reader threads block in read(2); each request is
/// parsed on its reader thread and, when it needs the file system, handled asynchronously so that a slow read does
/// not hold up the others. Each reply is one write(2), which the kernel takes atomically.
/// </summary>
internal sealed class FuseSession
{
    private const int MaxWrite = 128 * 1024;
    private const int MaxPages = 256; // reads of up to 1 MiB
    private const int MaxRead = MaxPages * 4096;
    private const int RequestBufferSize = MaxWrite + 4096; // the kernel wants room for a whole WRITE request
    private const uint ProtocolMinor = 45;
    private const ulong UnknownIno = 0xffffffff;
    private const uint O_ACCMODE = 3, O_TRUNC = 0x200, W_OK = 2;

    private readonly SafeFileHandle _fd;
    private readonly IFuseFileSystem _fileSystem;
    private readonly Action<string>? _log;
    private readonly uint _uid, _gid;
    private readonly NodeTable _nodes = new();
    private readonly ConcurrentDictionary<ulong, OpenFile> _files = new();
    private readonly ConcurrentDictionary<ulong, DirectoryListing> _directories = new();
    private readonly Dictionary<ulong, CancellationTokenSource> _inFlight = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextHandle;
    private int _readersRunning;

    private sealed record OpenFile(string Path, FileHandle Handle);

    private sealed record DirectoryListing(string Path, DirEntry[] Entries);

    /// <summary>A request parsed off the reader's buffer, for handling after the buffer is reused.</summary>
    private readonly record struct Request(Opcode Opcode, ulong Unique, ulong NodeId, string? Name = null, ulong Fh = 0, long Offset = 0, int Size = 0);

    public FuseSession(SafeFileHandle fd, IFuseFileSystem fileSystem, uint uid, uint gid, Action<string>? log)
    {
        _fd = fd;
        _fileSystem = fileSystem;
        _uid = uid;
        _gid = gid;
        _log = log;
    }

    /// <summary>Completes when INIT was answered; faults when the session ends before.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Completes when the kernel ends the session (unmount, DESTROY, or the connection aborted).</summary>
    public Task Completion => _completion.Task;

    public void Start(int readers)
    {
        _readersRunning = Math.Max(1, readers);
        for (var i = 0; i < _readersRunning; i++)
            new Thread(ReadLoop) { IsBackground = true, Name = $"fuse-reader-{i}" }.Start();
    }

    private unsafe void ReadLoop()
    {
        var buffer = GC.AllocateUninitializedArray<byte>(RequestBufferSize, pinned: true);
        try
        {
            while (true)
            {
                nint count;
                fixed (byte* p = buffer)
                    count = Native.read(_fd, p, buffer.Length);
                if (count < 0)
                {
                    var errno = Native.LastError;
                    if (errno is Native.EINTR or Native.EAGAIN or Native.ENOENT)
                        continue; // interrupted, or the request went away before we took it
                    if (errno != Native.ENODEV)
                        Log($"reading /dev/fuse: {Native.Describe(errno)}");
                    break;
                }
                Dispatch(buffer.AsSpan(0, (int)count));
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e)
        {
            Log($"FUSE reader failed: {e}");
        }
        finally
        {
            if (Interlocked.Decrement(ref _readersRunning) == 0)
                End();
        }
    }

    private void End()
    {
        lock (_inFlight)
            foreach (var cts in _inFlight.Values)
                cts.Cancel();
        _ready.TrySetException(new IOException("the FUSE session ended before the kernel's INIT was answered"));
        _fd.Dispose();
        _completion.TrySetResult();
    }

    private unsafe void Dispatch(ReadOnlySpan<byte> message)
    {
        if (message.Length < sizeof(InHeader))
            return;
        var header = MemoryMarshal.Read<InHeader>(message);
        var body = message[sizeof(InHeader)..Math.Min(message.Length, (int)header.Length)];
        var unique = header.Unique;
        try
        {
            switch (header.Opcode)
            {
                case Opcode.Init:
                    Init(unique, Parse<InitIn>(body));
                    break;
                case Opcode.Lookup:
                    _ = ServeAsync(new Request(header.Opcode, unique, header.NodeId, Name: ParseName(body)));
                    break;
                case Opcode.Forget:
                    _nodes.Forget(header.NodeId, Parse<ForgetIn>(body).NLookup);
                    break;
                case Opcode.BatchForget:
                    BatchForget(body);
                    break;
                case Opcode.GetAttr:
                case Opcode.OpenDir:
                    _ = ServeAsync(new Request(header.Opcode, unique, header.NodeId));
                    break;
                case Opcode.Open:
                    var open = Parse<OpenIn>(body);
                    if ((open.Flags & O_ACCMODE) != 0 || (open.Flags & O_TRUNC) != 0)
                        ReplyError(unique, Errno.EROFS);
                    else
                        _ = ServeAsync(new Request(header.Opcode, unique, header.NodeId));
                    break;
                case Opcode.Read:
                    var read = Parse<ReadIn>(body);
                    _ = ServeAsync(new Request(header.Opcode, unique, header.NodeId, Fh: read.Fh, Offset: (long)read.Offset,
                        Size: (int)Math.Min(read.Size, MaxRead)));
                    break;
                case Opcode.Release:
                    _ = ServeAsync(new Request(header.Opcode, unique, header.NodeId, Fh: Parse<ReleaseIn>(body).Fh));
                    break;
                case Opcode.ReadDir:
                    ReadDir(unique, Parse<ReadIn>(body));
                    break;
                case Opcode.ReleaseDir:
                    _directories.TryRemove(Parse<ReleaseIn>(body).Fh, out _);
                    ReplyOk(unique);
                    break;
                case Opcode.StatFs:
                    Reply(unique, new StatFsOut { BlockSize = 4096, FragmentSize = 4096, NameLength = 255 });
                    break;
                case Opcode.Access:
                    if ((Parse<AccessIn>(body).Mask & W_OK) != 0)
                        ReplyError(unique, Errno.EROFS);
                    else
                        ReplyOk(unique);
                    break;
                case Opcode.Flush:
                case Opcode.Fsync:
                case Opcode.FsyncDir:
                case Opcode.Destroy:
                    ReplyOk(unique);
                    break;
                case Opcode.GetXattr:
                    ReplyError(unique, Errno.ENODATA);
                    break;
                case Opcode.ListXattr:
                    // No attributes: a size query gets 0, a read gets an empty list.
                    if (Parse<XattrSize>(body).Size == 0)
                        Reply(unique, new XattrSize());
                    else
                        ReplyOk(unique);
                    break;
                case Opcode.Interrupt:
                    Interrupt(unique, Parse<InterruptIn>(body).Unique);
                    break;
                case Opcode.NotifyReply:
                    break;
                case Opcode.SetAttr:
                case Opcode.Symlink:
                case Opcode.Mknod:
                case Opcode.Mkdir:
                case Opcode.Unlink:
                case Opcode.Rmdir:
                case Opcode.Rename:
                case Opcode.Link:
                case Opcode.Write:
                case Opcode.SetXattr:
                case Opcode.RemoveXattr:
                case Opcode.Create:
                case Opcode.Fallocate:
                case Opcode.Rename2:
                case Opcode.CopyFileRange:
                case Opcode.Tmpfile:
                case Opcode.CopyFileRange64:
                    ReplyError(unique, Errno.EROFS);
                    break;
                default:
                    ReplyError(unique, Errno.ENOSYS);
                    break;
            }
        }
        catch (Exception e)
        {
            Log($"FUSE {header.Opcode} failed: {e}");
            ReplyError(unique, Errno.EIO);
        }
    }

    private void Init(ulong unique, InitIn init)
    {
        if (init.Major != 7)
        {
            Log($"FUSE kernel protocol {init.Major}.{init.Minor} is not supported (need 7.x)");
            ReplyError(unique, Errno.EPROTO);
            return;
        }
        const uint wanted = InitFlags.AsyncRead | InitFlags.AutoInvalData | InitFlags.ParallelDirops | InitFlags.MaxPages;
        var reply = new InitOut
        {
            Major = 7,
            Minor = Math.Min(init.Minor, ProtocolMinor),
            MaxReadahead = init.MaxReadahead,
            Flags = init.Flags & wanted,
            MaxBackground = 64,
            CongestionThreshold = 48,
            MaxWrite = MaxWrite,
            TimeGran = 1,
            MaxPages = MaxPages,
        };
        if (Reply(unique, reply))
            _ready.TrySetResult();
    }

    private unsafe void BatchForget(ReadOnlySpan<byte> body)
    {
        var count = Parse<BatchForgetIn>(body).Count;
        var items = MemoryMarshal.Cast<byte, ForgetOne>(body[sizeof(BatchForgetIn)..]);
        for (var i = 0; i < Math.Min(count, (uint)items.Length); i++)
            _nodes.Forget(items[i].NodeId, items[i].NLookup);
    }

    private void Interrupt(ulong unique, ulong target)
    {
        CancellationTokenSource? cts;
        lock (_inFlight)
            _inFlight.TryGetValue(target, out cts);
        if (cts is not null)
            cts.Cancel();
        else
            ReplyError(unique, Errno.EAGAIN); // not seen yet (another reader has it): the kernel sends it again
    }

    /// <summary>Handles one request that calls the file system; cancelled by a matching INTERRUPT.</summary>
    private async Task ServeAsync(Request request)
    {
        var cts = new CancellationTokenSource();
        lock (_inFlight)
            _inFlight[request.Unique] = cts;
        try
        {
            var error = request.Opcode switch
            {
                Opcode.Lookup => await LookupAsync(request, cts.Token),
                Opcode.GetAttr => await GetAttrAsync(request, cts.Token),
                Opcode.Open => await OpenAsync(request, cts.Token),
                Opcode.Read => await ReadAsync(request, cts.Token),
                Opcode.Release => await ReleaseAsync(request),
                Opcode.OpenDir => await OpenDirAsync(request, cts.Token),
                _ => Errno.ENOSYS,
            };
            if (error != 0)
                ReplyError(request.Unique, error);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            ReplyError(request.Unique, Errno.EINTR);
        }
        catch (Exception e)
        {
            Log($"FUSE {request.Opcode} {_nodes.PathOf(request.NodeId) ?? $"node {request.NodeId}"} failed: {e}");
            ReplyError(request.Unique, Errno.EIO);
        }
        finally
        {
            lock (_inFlight)
                _inFlight.Remove(request.Unique);
        }
    }

    private async ValueTask<Errno> LookupAsync(Request request, CancellationToken cancellationToken)
    {
        if (_nodes.PathOf(request.NodeId) is not { } parent || request.Name is null or "" or "." or ".." || request.Name.Contains('/'))
            return Errno.ENOENT;
        var path = NodeTable.Child(parent, request.Name);
        var result = await _fileSystem.GetAttrAsync(path, cancellationToken);
        if (!result.IsOk)
            return result.Error;
        var stat = result.Value;
        var id = _nodes.Remember(path);
        var entry = new EntryOut { NodeId = id, Attr = ToAttr(id, stat) };
        (entry.EntryValid, entry.EntryValidNsec) = Timeout(stat.CacheTimeout);
        (entry.AttrValid, entry.AttrValidNsec) = Timeout(stat.CacheTimeout);
        if (!Reply(request.Unique, entry))
            _nodes.Forget(id, 1); // the kernel did not take the entry, so it will never forget it
        return 0;
    }

    private async ValueTask<Errno> GetAttrAsync(Request request, CancellationToken cancellationToken)
    {
        if (_nodes.PathOf(request.NodeId) is not { } path)
            return Errno.ENOENT;
        var result = await _fileSystem.GetAttrAsync(path, cancellationToken);
        if (!result.IsOk)
            return result.Error;
        var stat = result.Value;
        var reply = new AttrOut { Attr = ToAttr(request.NodeId, stat) };
        (reply.AttrValid, reply.AttrValidNsec) = Timeout(stat.CacheTimeout);
        Reply(request.Unique, reply);
        return 0;
    }

    private async ValueTask<Errno> OpenAsync(Request request, CancellationToken cancellationToken)
    {
        if (_nodes.PathOf(request.NodeId) is not { } path)
            return Errno.ENOENT;
        var result = await _fileSystem.OpenAsync(path, cancellationToken);
        if (!result.IsOk)
            return result.Error;
        var handle = result.Value;
        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        _files[fh] = new OpenFile(path, handle);
        var flags = handle.Cache switch
        {
            PageCache.Keep => OpenFlags.KeepCache,
            PageCache.Bypass => OpenFlags.DirectIo,
            _ => 0u,
        };
        if (!Reply(request.Unique, new OpenOut { Fh = fh, OpenFlags = flags }) && _files.TryRemove(fh, out _))
            await _fileSystem.ReleaseAsync(path, handle);
        return 0;
    }

    private async ValueTask<Errno> ReadAsync(Request request, CancellationToken cancellationToken)
    {
        if (!_files.TryGetValue(request.Fh, out var file))
            return Errno.EBADF;
        var buffer = ArrayPool<byte>.Shared.Rent(request.Size);
        try
        {
            var total = 0;
            while (total < request.Size)
            {
                var result = await _fileSystem.ReadAsync(file.Path, file.Handle, request.Offset + total,
                    buffer.AsMemory(total, request.Size - total), cancellationToken);
                if (!result.IsOk)
                {
                    if (total == 0)
                        return result.Error;
                    break; // report what was read; the next read reports the error
                }
                if (result.Value <= 0)
                    break;
                total += result.Value;
            }
            ReplyData(request.Unique, buffer.AsSpan(0, total));
            return 0;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async ValueTask<Errno> ReleaseAsync(Request request)
    {
        if (_files.TryRemove(request.Fh, out var file))
            await _fileSystem.ReleaseAsync(file.Path, file.Handle);
        ReplyOk(request.Unique);
        return 0;
    }

    private async ValueTask<Errno> OpenDirAsync(Request request, CancellationToken cancellationToken)
    {
        if (_nodes.PathOf(request.NodeId) is not { } path)
            return Errno.ENOENT;
        var result = await _fileSystem.ReadDirAsync(path, cancellationToken);
        if (!result.IsOk)
            return result.Error;
        // A snapshot taken at open keeps READDIR offsets consistent however the directory changes.
        var listed = result.Value;
        var entries = new DirEntry[listed.Count + 2];
        entries[0] = new DirEntry(".", FileKind.Directory);
        entries[1] = new DirEntry("..", FileKind.Directory);
        for (var i = 0; i < listed.Count; i++)
            entries[i + 2] = listed[i];
        var fh = (ulong)Interlocked.Increment(ref _nextHandle);
        _directories[fh] = new DirectoryListing(path, entries);
        if (!Reply(request.Unique, new OpenOut { Fh = fh }))
            _directories.TryRemove(fh, out _);
        return 0;
    }

    private unsafe void ReadDir(ulong unique, ReadIn read)
    {
        if (!_directories.TryGetValue(read.Fh, out var listing))
        {
            ReplyError(unique, Errno.EBADF);
            return;
        }
        var size = (int)Math.Min(read.Size, MaxRead);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var used = 0;
            for (var index = (int)Math.Min(read.Offset, (ulong)listing.Entries.Length); index < listing.Entries.Length; index++)
            {
                var entry = listing.Entries[index];
                var nameLength = Encoding.UTF8.GetByteCount(entry.Name);
                var length = (sizeof(Dirent) + nameLength + 7) & ~7;
                if (used + length > size)
                    break;
                var ino = index == 0 ? _nodes.IdOf(listing.Path) : index == 1 ? 0 : _nodes.IdOf(NodeTable.Child(listing.Path, entry.Name));
                var dirent = new Dirent
                {
                    Ino = ino == 0 ? UnknownIno : ino,
                    Offset = (ulong)index + 1,
                    NameLength = (uint)nameLength,
                    Type = entry.Kind == FileKind.Directory ? 4u : 8u, // DT_DIR, DT_REG
                };
                var slot = buffer.AsSpan(used, length);
                slot.Clear();
                MemoryMarshal.Write(slot, in dirent);
                Encoding.UTF8.GetBytes(entry.Name, slot[sizeof(Dirent)..]);
                used += length;
            }
            ReplyData(unique, buffer.AsSpan(0, used));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private Attr ToAttr(ulong ino, FileStat stat)
    {
        var directory = stat.Kind == FileKind.Directory;
        var size = directory ? 0 : (ulong)Math.Max(0, stat.Size);
        var modified = stat.ModifiedTime < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : stat.ModifiedTime;
        var seconds = (ulong)modified.ToUnixTimeSeconds();
        var nanoseconds = (uint)(modified.UtcTicks % TimeSpan.TicksPerSecond * 100);
        return new Attr
        {
            Ino = ino,
            Size = size,
            Blocks = (size + 511) / 512,
            Atime = seconds,
            Mtime = seconds,
            Ctime = seconds,
            AtimeNsec = nanoseconds,
            MtimeNsec = nanoseconds,
            CtimeNsec = nanoseconds,
            Mode = (directory ? 0x4000u : 0x8000u) | ((uint)stat.Mode & 0xfff),
            Nlink = directory ? 2u : 1u,
            Uid = _uid,
            Gid = _gid,
            BlockSize = 4096,
        };
    }

    private static (ulong Seconds, uint Nanoseconds) Timeout(TimeSpan timeout) =>
        timeout <= TimeSpan.Zero
            ? (0, 0)
            : ((ulong)(timeout.Ticks / TimeSpan.TicksPerSecond), (uint)(timeout.Ticks % TimeSpan.TicksPerSecond * 100));

    private unsafe static T Parse<T>(ReadOnlySpan<byte> body) where T : unmanaged
    {
        // Older kernels send shorter structures; missing fields read as zero.
        T value = default;
        body[..Math.Min(body.Length, sizeof(T))].CopyTo(MemoryMarshal.AsBytes(new Span<T>(ref value)));
        return value;
    }

    private static string ParseName(ReadOnlySpan<byte> body)
    {
        var end = body.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? body : body[..end]);
    }

    private unsafe bool ReplyOk(ulong unique) => Send(unique, 0, stackalloc byte[sizeof(OutHeader)], default);

    private unsafe bool ReplyError(ulong unique, Errno error) => Send(unique, -(int)error, stackalloc byte[sizeof(OutHeader)], default);

    private unsafe bool Reply<T>(ulong unique, in T body) where T : unmanaged
    {
        Span<byte> message = stackalloc byte[sizeof(OutHeader) + sizeof(T)];
        MemoryMarshal.Write(message[sizeof(OutHeader)..], in body);
        return Send(unique, 0, message, default);
    }

    private unsafe bool ReplyData(ulong unique, ReadOnlySpan<byte> data) => Send(unique, 0, stackalloc byte[sizeof(OutHeader)], data);

    /// <summary>Writes a reply: <paramref name="head"/> starts with room for the header, <paramref name="data"/> follows it.</summary>
    private unsafe bool Send(ulong unique, int error, Span<byte> head, ReadOnlySpan<byte> data)
    {
        var header = new OutHeader { Length = (uint)(head.Length + data.Length), Error = error, Unique = unique };
        MemoryMarshal.Write(head, in header);
        nint written;
        try
        {
            fixed (byte* h = head)
            fixed (byte* d = data)
            {
                var vectors = stackalloc Native.IoVector[2];
                vectors[0] = new Native.IoVector { Base = h, Length = (nuint)head.Length };
                vectors[1] = new Native.IoVector { Base = d, Length = (nuint)data.Length };
                written = Native.writev(_fd, vectors, data.IsEmpty ? 1 : 2);
            }
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        if (written >= 0)
            return true;
        var errno = Native.LastError;
        // ENOENT: the request was interrupted and is gone; ENODEV: the session ended.
        if (errno is not (Native.ENOENT or Native.ENODEV))
            Log($"writing a FUSE reply: {Native.Describe(errno)}");
        return false;
    }

    private void Log(string message) => _log?.Invoke(message);
}
