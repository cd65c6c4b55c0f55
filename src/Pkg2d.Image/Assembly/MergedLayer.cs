using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Image.Packages;
using Pkg2d.Oci;

namespace Pkg2d.Image.Assembly;

/// <summary>
/// Several small packages as one uncompressed layer: their data tars, entry by entry in install order, followed by
/// one end-of-archive marker. The bytes are a pure function of the packages' data tars, so the layer is identical
/// whenever it is rebuilt; uncompressed, its digest does not depend on any compressor's version.
/// </summary>
public static class MergedLayer
{
    private const int Block = 512;

    /// <summary>A name for the merge that changes whenever any member package changes.</summary>
    public static string KeyOf(IEnumerable<PackageFacts> members) =>
        "merged-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', members.Select(m => m.Key)))));

    public static Layer Create(IReadOnlyList<PackageFacts> members, LayerDigests digests, Func<PackageFacts, Stream> openData) =>
        new(digests, () => Open(members, openData), MediaTypes.OciLayer);

    /// <summary>Streams the merged tar once to learn its digest and size.</summary>
    public static LayerDigests ComputeDigests(IReadOnlyList<PackageFacts> members, Func<PackageFacts, Stream> openData)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var counter = new HashingWriteStream(hash);
        Write(members, openData, counter);
        var digest = Digest.FromHash(hash.GetHashAndReset());
        return new LayerDigests(digest, counter.Written, digest);
    }

    private static Stream Open(IReadOnlyList<PackageFacts> members, Func<PackageFacts, Stream> openData)
    {
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await using var output = pipe.Writer.AsStream(leaveOpen: true);
                Write(members, openData, output);
            }
            catch (Exception e)
            {
                failure = e;
            }
            await pipe.Writer.CompleteAsync(failure);
        });
        return pipe.Reader.AsStream();
    }

    private static void Write(IReadOnlyList<PackageFacts> members, Func<PackageFacts, Stream> openData, Stream output)
    {
        foreach (var member in members)
        {
            using var data = openData(member);
            using var tar = new GZipStream(data, CompressionMode.Decompress);
            CopyEntries(tar, output, member);
        }
        output.Write(new byte[2 * Block]);
    }

    /// <summary>Copies every entry (header and padded content) of one tar, stopping at its end-of-archive marker.</summary>
    private static void CopyEntries(Stream tar, Stream output, PackageFacts member)
    {
        var header = new byte[Block];
        var buffer = new byte[64 * 1024];
        while (true)
        {
            if (tar.ReadAtLeast(header, Block, throwOnEndOfStream: false) < Block || header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                return;
            output.Write(header);
            var remaining = (ContentSize(header, member) + Block - 1) / Block * Block;
            while (remaining > 0)
            {
                var read = tar.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                    throw new InvalidDataException($"{member}: the data tar ends inside an entry");
                output.Write(buffer, 0, read);
                remaining -= read;
            }
        }
    }

    /// <summary>The size field (octal, or GNU base-256); zero for types that carry no content, as Go's archive/tar reads it.</summary>
    private static long ContentSize(ReadOnlySpan<byte> header, PackageFacts member)
    {
        if (header[156] is (byte)'1' or (byte)'2' or (byte)'3' or (byte)'4' or (byte)'5' or (byte)'6')
            return 0;
        var field = header.Slice(124, 12);
        if ((field[0] & 0x80) != 0)
            return BinaryPrimitives.ReadInt64BigEndian(field[4..]);
        long size = 0;
        foreach (var b in field)
        {
            if (b is (byte)' ' or 0)
            {
                if (size > 0)
                    break;
                continue;
            }
            if (b is < (byte)'0' or > (byte)'7')
                throw new InvalidDataException($"{member}: invalid tar size field");
            size = size * 8 + (b - '0');
        }
        return size;
    }

    /// <summary>A sink that hashes and counts what is written to it.</summary>
    private sealed class HashingWriteStream(IncrementalHash hash) : Stream
    {
        public long Written { get; private set; }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            Written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Written;
        public override long Position { get => Written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
