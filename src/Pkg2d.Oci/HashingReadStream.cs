using System.Security.Cryptography;

namespace Pkg2d.Oci;

/// <summary>A read-only pass-through stream that SHA-256-hashes and counts every byte read from it.</summary>
public sealed class HashingReadStream(Stream inner, bool leaveOpen = false) : ObservingReadStream(inner, leaveOpen)
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Reads what is left (e.g. after a decompressor stopped at the end of its data), then returns the digest.</summary>
    public Digest DrainAndGetDigest()
    {
        var buffer = new byte[81920];
        while (Read(buffer, 0, buffer.Length) > 0)
        {
        }
        return Digest.FromHash(_hash.GetHashAndReset());
    }

    protected override void Observe(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _hash.Dispose();
        base.Dispose(disposing);
    }
}
