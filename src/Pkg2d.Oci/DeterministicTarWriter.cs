using System.Buffers.Binary;
using System.Text;

namespace Pkg2d.Oci;

/// <summary>
/// Writes a ustar archive whose bytes depend only on the entries: mtime 0, uid/gid 0, no user or group names,
/// mode 0755 for folders and 0644 for files. File contents are streamed, so a header's size is the declared size
/// and the content writer must produce exactly that many bytes (<see cref="BlobCopy"/> guarantees it).
/// </summary>
internal sealed class DeterministicTarWriter(Stream output)
{
    private const int Block = 512;

    public async Task AddDirectoryAsync(string name, CancellationToken cancellationToken)
    {
        var header = Header(name.EndsWith('/') ? name : name + "/", size: 0, mode: 0x1ed /* 0755 */, typeFlag: (byte)'5');
        await output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddFileAsync(string name, long size, Func<Stream, CancellationToken, Task> writeContent, CancellationToken cancellationToken)
    {
        await output.WriteAsync(Header(name, size, mode: 0x1a4 /* 0644 */, typeFlag: (byte)'0'), cancellationToken).ConfigureAwait(false);
        await writeContent(output, cancellationToken).ConfigureAwait(false);
        var padding = (int)((Block - size % Block) % Block);
        if (padding > 0)
            await output.WriteAsync(new byte[padding], cancellationToken).ConfigureAwait(false);
    }

    public Task AddFileAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken) =>
        AddFileAsync(name, content.Length, (s, ct) => s.WriteAsync(content, ct).AsTask(), cancellationToken);

    /// <summary>Writes the two zero blocks that end an archive.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken) =>
        await output.WriteAsync(new byte[2 * Block], cancellationToken).ConfigureAwait(false);

    private static byte[] Header(string name, long size, int mode, byte typeFlag)
    {
        var header = new byte[Block];
        var nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > 100)
            throw new ArgumentException($"tar entry name '{name}' is longer than 100 bytes", nameof(name));
        nameBytes.CopyTo(header, 0);
        Octal(header.AsSpan(100, 8), mode);
        Octal(header.AsSpan(108, 8), 0); // uid
        Octal(header.AsSpan(116, 8), 0); // gid
        if (size < 1L << 33)
            Octal(header.AsSpan(124, 12), size);
        else
        {
            // GNU base-256 for sizes of 8 GiB and more: high bit set, big-endian value.
            header[124] = 0x80;
            BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(128, 8), size);
        }
        Octal(header.AsSpan(136, 12), 0); // mtime
        header[156] = typeFlag;
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        Octal(header.AsSpan(329, 8), 0); // devmajor
        Octal(header.AsSpan(337, 8), 0); // devminor

        header.AsSpan(148, 8).Fill((byte)' ');
        var checksum = 0;
        foreach (var b in header)
            checksum += b;
        Octal(header.AsSpan(148, 7), checksum);
        return header;
    }

    /// <summary>Zero-padded octal digits filling the field but its last byte, which stays NUL.</summary>
    private static void Octal(Span<byte> field, long value)
    {
        for (var i = field.Length - 2; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }
        field[^1] = 0;
    }
}
