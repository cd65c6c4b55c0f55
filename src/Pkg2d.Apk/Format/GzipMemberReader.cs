using System.Security.Cryptography;

namespace Pkg2d.Apk.Format;

/// <summary>
/// Walks a stream of concatenated gzip members (an .apk, an APKINDEX.tar.gz) one member at a time, learning exactly
/// where each member ends and hashing its compressed bytes as they pass. Memory use is bounded by one input buffer.
/// </summary>
public sealed class GzipMemberReader : IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly Stream _source;
    private readonly string _name;
    private readonly bool _leaveOpen;
    private readonly byte[] _input = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    private Zlib.Inflater? _inflater;
    private int _inputStart;
    private int _inputEnd;
    private long _position;
    private int _count;
    private GzipMember? _current;
    private bool _disposed;

    /// <param name="source">The compressed bytes, read forward only.</param>
    /// <param name="name">Names the file in errors.</param>
    /// <param name="leaveOpen">Leave <paramref name="source"/> open on dispose.</param>
    public GzipMemberReader(Stream source, string name, bool leaveOpen = false)
    {
        _source = source;
        _name = name;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Names the input in errors.</summary>
    public string Name => _name;

    /// <summary>Compressed bytes consumed so far: the offset where the next member starts.</summary>
    public long Position => _position;

    /// <summary>
    /// Finishes the current member (reading and discarding what the caller left) and starts the next one, or returns
    /// null at the end of the input.
    /// </summary>
    public GzipMember? NextMember()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _current?.Drain();
        if (_inputStart == _inputEnd && Fill() == 0)
            return null;
        if (_inflater is null)
            _inflater = new Zlib.Inflater();
        else
            unsafe { Zlib.InflateReset(_inflater.Stream); }
        _current = new GzipMember(this, _count++, _position);
        return _current;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _inflater?.Dispose();
        if (!_leaveOpen)
            _source.Dispose();
    }

    private int Fill()
    {
        _inputStart = 0;
        _inputEnd = _source.Read(_input, 0, _input.Length);
        return _inputEnd;
    }

    /// <summary>Inflates into <paramref name="destination"/> for <paramref name="member"/>; 0 once it has ended.</summary>
    internal unsafe int Inflate(GzipMember member, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (member.IsComplete || destination.IsEmpty)
            return 0;
        var z = _inflater!.Stream;
        while (true)
        {
            if (_inputStart == _inputEnd && Fill() == 0)
                throw new GzipFormatException(
                    $"{_name}: truncated gzip member {member.Index} (starts at offset {member.Offset}, input ends at offset {_position})",
                    member.Index, member.Offset, truncated: true);

            var available = _inputEnd - _inputStart;
            int rc;
            fixed (byte* input = &_input[_inputStart])
            fixed (byte* output = destination)
            {
                z->NextIn = input;
                z->AvailIn = (uint)available;
                z->NextOut = output;
                z->AvailOut = (uint)destination.Length;
                rc = Zlib.Inflate(z, Zlib.NoFlush);
            }
            var consumed = available - (int)z->AvailIn;
            var produced = destination.Length - (int)z->AvailOut;
            z->NextIn = null;
            z->NextOut = null;

            member.Consumed(_input.AsSpan(_inputStart, consumed));
            _inputStart += consumed;
            _position += consumed;

            if (rc == Zlib.StreamEnd)
            {
                member.End();
                return produced;
            }
            if (rc is not (Zlib.Ok or Zlib.BufError) || (consumed == 0 && produced == 0))
                throw new GzipFormatException(
                    $"{_name}: corrupt gzip member {member.Index} at offset {member.Offset}: {_inflater.Message(rc)}",
                    member.Index, member.Offset, truncated: false);
            if (produced > 0)
                return produced;
        }
    }
}

/// <summary>
/// One gzip member of a <see cref="GzipMemberReader"/>: its place in the file, its decompressed content, and (once
/// the content has been read to its end or <see cref="Drain"/>ed) its compressed length and hashes.
/// </summary>
public sealed class GzipMember
{
    private readonly GzipMemberReader _reader;
    private IncrementalHash? _sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
    private IncrementalHash? _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _sha1Value;
    private byte[]? _sha256Value;
    private long _length;

    internal GzipMember(GzipMemberReader reader, int index, long offset)
    {
        _reader = reader;
        Index = index;
        Offset = offset;
        Content = new ContentStream(this);
    }

    /// <summary>0 for the first member of the file.</summary>
    public int Index { get; }

    /// <summary>The byte offset of the member's first compressed byte.</summary>
    public long Offset { get; }

    /// <summary>The decompressed bytes, read forward only. Valid until the reader moves to the next member.</summary>
    public Stream Content { get; }

    /// <summary>Decompressed bytes delivered so far (the full size once complete).</summary>
    public long ContentLength { get; private set; }

    public bool IsComplete => _sha1Value is not null;

    /// <summary>The member's compressed length, header and trailer included.</summary>
    public long Length => IsComplete ? _length : throw NotComplete();

    /// <summary>SHA-1 of the member's compressed bytes.</summary>
    public ReadOnlySpan<byte> Sha1 => _sha1Value ?? throw NotComplete();

    /// <summary>SHA-256 of the member's compressed bytes.</summary>
    public ReadOnlySpan<byte> Sha256 => _sha256Value ?? throw NotComplete();

    /// <summary>Reads and discards the rest of the content, so the member's length and hashes are known.</summary>
    public void Drain()
    {
        if (IsComplete)
            return;
        Span<byte> scratch = stackalloc byte[8192];
        while (Content.Read(scratch) > 0)
        {
        }
    }

    internal void Consumed(ReadOnlySpan<byte> compressed)
    {
        _sha1!.AppendData(compressed);
        _sha256!.AppendData(compressed);
        _length += compressed.Length;
    }

    internal void End()
    {
        _sha1Value = _sha1!.GetHashAndReset();
        _sha256Value = _sha256!.GetHashAndReset();
        _sha1.Dispose();
        _sha256!.Dispose();
        _sha1 = _sha256 = null;
    }

    private InvalidOperationException NotComplete() =>
        new($"{_reader.Name}: gzip member {Index} has not been read to its end");

    private sealed class ContentStream(GzipMember member) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => member.ContentLength;
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            var n = member._reader.Inflate(member, buffer);
            member.ContentLength += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int ReadByte()
        {
            Span<byte> one = stackalloc byte[1];
            return Read(one) == 1 ? one[0] : -1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
