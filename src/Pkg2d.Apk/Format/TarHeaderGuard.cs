namespace Pkg2d.Apk.Format;

/// <summary>
/// Refuses a tar whose metadata entries (PAX `x`/`g`, GNU long names `L`/`K`) claim more than
/// <see cref="MaxMetadata"/> bytes, before TarReader buffers what they promise: a header is read before any
/// signature over it is checked, so a few bytes must not cost gigabytes. It follows the header blocks as the bytes
/// pass through and changes none of them.
/// </summary>
internal sealed class TarHeaderGuard(Stream inner, string source) : Stream
{
    /// <summary>Far more than any package's PAX records (a checksum and a few attributes per entry).</summary>
    public const long MaxMetadata = 1 << 20;

    private const int Block = 512;
    private readonly byte[] _header = new byte[Block];
    private long _position;
    private long _nextHeader;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        Observe(buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    private void Observe(ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset < data.Length)
        {
            var at = _position + offset;
            if (at < _nextHeader)
            {
                offset += (int)Math.Min(data.Length - offset, _nextHeader - at);
                continue;
            }
            var inHeader = (int)(at - _nextHeader);
            var take = Math.Min(Block - inHeader, data.Length - offset);
            data.Slice(offset, take).CopyTo(_header.AsSpan(inHeader));
            offset += take;
            if (inHeader + take == Block)
                Check();
        }
        _position += data.Length;
    }

    /// <summary>A whole header block has passed: where the next one is, and whether its metadata is within bounds.</summary>
    private void Check()
    {
        if (!_header.AsSpan().ContainsAnyExcept((byte)0))
        {
            _nextHeader += Block; // an end-of-archive block
            return;
        }
        var size = Size();
        var type = (char)_header[156];
        if (type is 'x' or 'g' or 'L' or 'K' && size > MaxMetadata)
            throw new ApkFormatException($"{source}: a tar metadata entry ('{type}') claims {size} bytes, more than the {MaxMetadata} allowed");
        _nextHeader += Block + (size + Block - 1) / Block * Block;
    }

    /// <summary>The header's size field: octal text, or base-256 when its first byte has the high bit set.</summary>
    private long Size()
    {
        var field = _header.AsSpan(124, 12);
        long size = 0;
        if ((field[0] & 0x80) != 0)
        {
            if ((field[0] & 0x7f) != 0 || field[1..4].ContainsAnyExcept((byte)0))
                throw new ApkFormatException($"{source}: a tar entry's size field is out of range");
            foreach (var b in field[4..])
                size = (size << 8) | b;
            return size >= 0 ? size : throw new ApkFormatException($"{source}: a tar entry's size field is out of range");
        }
        foreach (var b in field)
        {
            if (b is 0 or (byte)' ')
                continue;
            if (b is < (byte)'0' or > (byte)'7')
                throw new ApkFormatException($"{source}: a tar entry's size field is not octal");
            size = size * 8 + (b - '0');
        }
        return size;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
