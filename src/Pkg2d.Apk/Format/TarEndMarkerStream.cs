namespace Pkg2d.Apk.Format;

/// <summary>
/// apk-tools writes the signature and control tars without the two zero end-of-archive blocks (the next gzip member
/// simply follows), and TarReader over a non-seekable stream fails at such an end. This stream supplies the blocks once
/// the inner stream ends on a block boundary.
/// </summary>
internal sealed class TarEndMarkerStream(Stream inner, string source) : Stream
{
    private const int Block = 512;
    private long _position;
    private int _markerLeft = -1;

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
        if (buffer.IsEmpty)
            return 0;
        if (_markerLeft < 0)
        {
            var n = inner.Read(buffer);
            if (n > 0)
            {
                _position += n;
                return n;
            }
            if (_position % Block != 0)
                throw new ApkFormatException($"{source}: tar stream ends mid-block at offset {_position}");
            _markerLeft = 2 * Block;
        }
        var count = Math.Min(buffer.Length, _markerLeft);
        buffer[..count].Clear();
        _markerLeft -= count;
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
