namespace Pkg2d.Oci;

/// <summary>
/// A read-only pass-through stream that shows every chunk read to <see cref="Observe"/> (to hash it, count it,
/// report progress) and counts the bytes; the rest of a stream's surface is refused.
/// </summary>
public abstract class ObservingReadStream(Stream inner, bool leaveOpen) : Stream
{
    public long BytesRead { get; private set; }

    /// <summary>Called with each chunk just read, in order.</summary>
    protected abstract void Observe(ReadOnlySpan<byte> data);

    public override int Read(Span<byte> buffer) => Observed(buffer, inner.Read(buffer));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return Observed(buffer.Span, read);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Observed(ReadOnlySpan<byte> buffer, int read)
    {
        BytesRead += read;
        if (read > 0)
            Observe(buffer[..read]);
        return read;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
