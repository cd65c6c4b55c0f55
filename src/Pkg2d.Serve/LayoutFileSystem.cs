using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pkg2d.Fuse;
using Pkg2d.Oci;

namespace Pkg2d.Serve;

/// <summary>
/// Serves OCI image layouts as a read-only file system: the provider's <see cref="ILayoutProvider.Root"/> at the top
/// (<c>oci-layout</c>, <c>index.json</c>, <c>blobs/sha256/&lt;hex&gt;</c>), and any other top-level name as an
/// on-demand world whose directory holds its own layout. Sizes come from descriptors, so listing and stat never
/// produce a blob; reading one materialises it through the <see cref="BlobCache"/>, except small in-memory blobs
/// (manifests, configs) which are served as they are.
/// </summary>
public sealed class LayoutFileSystem : IFuseFileSystem
{
    /// <summary>How long the kernel may trust what never changes: blobs named by digest, directories.</summary>
    public static readonly TimeSpan ImmutableTimeout = TimeSpan.FromHours(1);

    private const string OciLayoutName = "oci-layout";
    private const string IndexName = "index.json";
    private const string BlobsName = "blobs";

    private readonly ILayoutProvider _provider;
    private readonly BlobCache _cache;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Lazy<Task<FuseResult<Layout>>>> _worlds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ulong, OpenFile> _open = new();
    private readonly ConditionalWeakTable<Exception, object?> _reported = [];
    private long _nextHandle;

    public LayoutFileSystem(ILayoutProvider provider, BlobCache cache, ILogger<LayoutFileSystem>? logger = null)
    {
        _provider = provider;
        _cache = cache;
        _logger = logger ?? NullLogger<LayoutFileSystem>.Instance;
    }

    /// <summary>
    /// Whether a top-level name may be an on-demand world. Hidden names (probes such as <c>.git</c>), names with
    /// '/', control characters or spaces, and the layout's own names are not, and never reach the provider.
    /// </summary>
    public static bool IsWorldName(string name) =>
        name.Length is > 0 and <= 255
        && name[0] != '.'
        && !name.Any(c => c == '/' || char.IsWhiteSpace(c) || char.IsControl(c))
        && name is not (OciLayoutName or IndexName or BlobsName);

    private enum NodeKind
    {
        LayoutDirectory,
        OciLayout,
        Index,
        BlobsDirectory,
        AlgorithmDirectory,
        Blob,
    }

    private readonly record struct Node(NodeKind Kind, Layout Layout, IBlob? Blob = null);

    private abstract class OpenFile;

    private sealed class MemoryFile(ReadOnlyMemory<byte> bytes) : OpenFile
    {
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;
    }

    private sealed class BlobFile(IBlob blob) : OpenFile
    {
        public IBlob Blob { get; } = blob;
        public BlobLease? Lease;
    }

    public async ValueTask<FuseResult<FileStat>> GetAttrAsync(string path, CancellationToken cancellationToken)
    {
        var found = await ResolveAsync(path, cancellationToken);
        if (!found.IsOk)
            return found.Error;
        var node = found.Value;
        return node.Kind switch
        {
            NodeKind.LayoutDirectory or NodeKind.BlobsDirectory or NodeKind.AlgorithmDirectory => FileStat.Directory(ImmutableTimeout),
            NodeKind.OciLayout => FileStat.File(Layout.OciLayoutJson.Length, ImmutableTimeout),
            // Every index.json follows the provider's current images, which a refresh moves on.
            NodeKind.Index => FileStat.File(node.Layout.IndexJson.Length, TimeSpan.Zero),
            _ => FileStat.File(node.Blob!.Descriptor.Size, ImmutableTimeout),
        };
    }

    public async ValueTask<FuseResult<IReadOnlyList<DirEntry>>> ReadDirAsync(string path, CancellationToken cancellationToken)
    {
        var found = await ResolveAsync(path, cancellationToken);
        if (!found.IsOk)
            return found.Error;
        var node = found.Value;
        IReadOnlyList<DirEntry>? entries = node.Kind switch
        {
            NodeKind.LayoutDirectory =>
            [
                new DirEntry(OciLayoutName, FileKind.File),
                new DirEntry(IndexName, FileKind.File),
                new DirEntry(BlobsName, FileKind.Directory),
            ],
            NodeKind.BlobsDirectory => [new DirEntry(Digest.Algorithm, FileKind.Directory)],
            NodeKind.AlgorithmDirectory => node.Layout.Blobs.Select(b => new DirEntry(b.Descriptor.Digest.Hex, FileKind.File)).ToArray(),
            _ => null,
        };
        return entries is null ? Errno.ENOTDIR : new FuseResult<IReadOnlyList<DirEntry>>(entries);
    }

    public async ValueTask<FuseResult<FileHandle>> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var found = await ResolveAsync(path, cancellationToken);
        if (!found.IsOk)
            return found.Error;
        var node = found.Value;
        OpenFile file;
        var cache = PageCache.Keep;
        switch (node.Kind)
        {
            case NodeKind.OciLayout:
                file = new MemoryFile(Layout.OciLayoutJson);
                break;
            case NodeKind.Index:
                // The bytes are taken now, so a reader sees one version however Root changes meanwhile. Direct I/O,
                // because the size the kernel last saw may belong to another version.
                file = new MemoryFile(node.Layout.IndexJson);
                cache = PageCache.Bypass;
                break;
            case NodeKind.Blob when node.Blob is MemoryBlob memory:
                file = new MemoryFile(memory.Bytes);
                break;
            case NodeKind.Blob:
                file = new BlobFile(node.Blob!);
                break;
            default:
                return Errno.EISDIR;
        }
        var id = (ulong)Interlocked.Increment(ref _nextHandle);
        _open[id] = file;
        return new FileHandle(id, cache);
    }

    public async ValueTask<FuseResult<int>> ReadAsync(string path, FileHandle handle, long offset, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (!_open.TryGetValue(handle.Value, out var file))
            return Errno.EBADF;
        if (file is MemoryFile memory)
        {
            if (offset >= memory.Bytes.Length)
                return 0;
            var count = (int)Math.Min(buffer.Length, memory.Bytes.Length - offset);
            memory.Bytes.Slice((int)offset, count).CopyTo(buffer);
            return count;
        }
        var blobFile = (BlobFile)file;
        if (offset >= blobFile.Blob.Descriptor.Size)
            return 0;
        var lease = blobFile.Lease;
        if (lease is null)
        {
            try
            {
                lease = await _cache.AcquireAsync(blobFile.Blob, cancellationToken);
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                ReportFailure(path, blobFile.Blob.Descriptor, e);
                return Errno.EIO;
            }
            // Reads of one handle may race to the first lease: keep one, drop the others.
            if (Interlocked.CompareExchange(ref blobFile.Lease, lease, null) is { } first)
            {
                lease.Dispose();
                lease = first;
            }
        }
        return await lease.ReadAsync(offset, buffer, cancellationToken);
    }

    public ValueTask ReleaseAsync(string path, FileHandle handle)
    {
        if (_open.TryRemove(handle.Value, out var file) && file is BlobFile blobFile)
            Interlocked.Exchange(ref blobFile.Lease, null)?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>Logs a failed production once, however many reads were waiting for it.</summary>
    private void ReportFailure(string path, Descriptor blob, Exception e)
    {
        if (_reported.TryAdd(e, null))
            _logger.LogError("Reading {Path} failed: blob {Digest} ({MediaType}, {Size} bytes) could not be produced: {Reason}",
                path, blob.Digest, blob.MediaType, blob.Size, e.Message);
    }

    private async ValueTask<FuseResult<Node>> ResolveAsync(string path, CancellationToken cancellationToken)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] is OciLayoutName or IndexName or BlobsName)
            return Resolve(_provider.Root, parts);
        if (!IsWorldName(parts[0]))
            return Errno.ENOENT;
        var world = await WorldAsync(parts[0], cancellationToken);
        return world.IsOk ? Resolve(world.Value, parts.AsSpan(1)) : world.Error;
    }

    private static FuseResult<Node> Resolve(Layout layout, ReadOnlySpan<string> parts) => parts switch
    {
        [] => new Node(NodeKind.LayoutDirectory, layout),
        [OciLayoutName] => new Node(NodeKind.OciLayout, layout),
        [IndexName] => new Node(NodeKind.Index, layout),
        [BlobsName] => new Node(NodeKind.BlobsDirectory, layout),
        [BlobsName, Digest.Algorithm] => new Node(NodeKind.AlgorithmDirectory, layout),
        [BlobsName, Digest.Algorithm, var hex]
            when Digest.TryParse($"{Digest.Algorithm}:{hex}", out var digest) && layout.TryGetBlob(digest, out var blob) =>
            new Node(NodeKind.Blob, layout, blob),
        _ => Errno.ENOENT,
    };

    /// <summary>
    /// The world's layout: ENOENT when it does not resolve, EAGAIN when the provider is too busy to resolve it now.
    /// Concurrent lookups share one call to the provider, which a cancelled lookup does not cancel. Nothing is kept
    /// here once the call is done: the provider remembers worlds, and forgets them within its limits.
    /// </summary>
    private async ValueTask<FuseResult<Layout>> WorldAsync(string world, CancellationToken cancellationToken)
    {
        var lookup = _worlds.GetOrAdd(world, name => new Lazy<Task<FuseResult<Layout>>>(() => ResolveWorldAsync(name)));
        try
        {
            return await lookup.Value.WaitAsync(cancellationToken);
        }
        finally
        {
            if (lookup.Value.IsCompleted)
                _worlds.TryRemove(KeyValuePair.Create(world, lookup));
        }
    }

    private async Task<FuseResult<Layout>> ResolveWorldAsync(string world)
    {
        try
        {
            var layout = await Task.Run(() => _provider.ForWorldAsync(world, CancellationToken.None).AsTask());
            return layout is null ? Errno.ENOENT : layout;
        }
        catch (ProviderBusyException)
        {
            return Errno.EAGAIN; // the provider logs why
        }
        catch (Exception e)
        {
            _logger.LogError("Resolving the world '{World}' failed: {Reason}", world, e.Message);
            return Errno.ENOENT;
        }
    }
}
