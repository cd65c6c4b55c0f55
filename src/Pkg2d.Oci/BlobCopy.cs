using System.Buffers;
using System.Security.Cryptography;

namespace Pkg2d.Oci;

/// <summary>A blob's bytes did not match its descriptor.</summary>
public sealed class BlobVerificationException(Descriptor blob, string problem)
    : IOException($"blob {blob.Digest} ({blob.MediaType}, {blob.Size} bytes): {problem}")
{
    public Descriptor Blob { get; } = blob;
}

/// <summary>Copies a blob while checking that its bytes have the declared size and digest.</summary>
public static class BlobCopy
{
    private const int BufferSize = 128 * 1024;

    /// <summary>
    /// Copies exactly <c>Descriptor.Size</c> bytes to <paramref name="destination"/>, or throws
    /// <see cref="BlobVerificationException"/>: before writing a byte past the declared size, or at the end when
    /// the bytes were too few or hash to another digest. The caller discards the destination on error.
    /// </summary>
    public static async Task CopyVerifiedAsync(IBlob blob, Stream destination, CancellationToken cancellationToken = default)
    {
        var descriptor = blob.Descriptor;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long copied = 0;
            await using var source = blob.Open();
            int n;
            while ((n = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (copied + n > descriptor.Size)
                    throw new BlobVerificationException(descriptor, "the bytes are longer than the declared size");
                hash.AppendData(buffer, 0, n);
                await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                copied += n;
            }
            if (copied != descriptor.Size)
                throw new BlobVerificationException(descriptor, $"got only {copied} bytes");
            var actual = Digest.FromHash(hash.GetHashAndReset());
            if (actual != descriptor.Digest)
                throw new BlobVerificationException(descriptor, $"the bytes hash to {actual}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
