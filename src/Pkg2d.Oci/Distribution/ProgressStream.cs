namespace Pkg2d.Oci.Distribution;

/// <summary>A read-only pass-through that reports how many bytes were read so far (what an upload has sent).</summary>
internal sealed class ProgressStream(Stream inner, long length, Action<long> report) : ObservingReadStream(inner, leaveOpen: false)
{
    protected override void Observe(ReadOnlySpan<byte> data) => report(BytesRead);

    // The declared size: HttpClient sends it as Content-Length, and fails the request if the blob gives more or fewer bytes.
    public override long Length => length;
}
