using System.IO.Compression;
using System.Text;
using Pkg2d.Apk.Format;

namespace Pkg2d.Testing;

/// <summary>
/// Taking real packages and indexes apart and putting them back together for damaged inputs: their gzip members, and
/// the header blocks of the tars inside them (octal fields, checksums, contents).
/// </summary>
public static class TarBytes
{
    private const int Block = 512;

    public static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(content);
        return output.ToArray();
    }

    /// <summary>Where each gzip member of an intact file lies.</summary>
    public static List<(long Offset, long Length)> Members(byte[] file)
    {
        var members = new List<(long, long)>();
        using var reader = new GzipMemberReader(new MemoryStream(file), "seed");
        while (reader.NextMember() is { } member)
        {
            member.Drain();
            members.Add((member.Offset, member.Length));
        }
        return members;
    }

    public static byte[] Inflate(byte[] file, (long Offset, long Length) member)
    {
        using var gzip = new GZipStream(new MemoryStream(file, (int)member.Offset, (int)member.Length), CompressionMode.Decompress);
        var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    /// <summary>The file with one member's bytes replaced by <paramref name="replacement"/>.</summary>
    public static byte[] Replace(byte[] file, (long Offset, long Length) member, byte[] replacement) =>
        [.. file.AsSpan(0, (int)member.Offset), .. replacement, .. file.AsSpan((int)(member.Offset + member.Length))];

    /// <summary>A header's octal size field.</summary>
    public static long Size(byte[] tar, int header) =>
        Convert.ToInt64(Encoding.ASCII.GetString(tar, header + 124, 12).Trim('\0', ' ') is { Length: > 0 } s ? s : "0", 8);

    /// <summary>Offsets of the header blocks of an intact tar (end-of-archive blocks excluded).</summary>
    public static List<int> TarHeaders(byte[] tar)
    {
        var headers = new List<int>();
        for (var at = 0; at + Block <= tar.Length && tar.AsSpan(at, Block).ContainsAnyExcept((byte)0);)
        {
            headers.Add(at);
            at += Block + Padded(Size(tar, at));
        }
        return headers;
    }

    public static string TarName(byte[] tar, int header) => Encoding.ASCII.GetString(tar, header, 100).TrimEnd('\0');

    public static byte[] Content(byte[] tar, int header) => tar.AsSpan(header + Block, (int)Size(tar, header)).ToArray();

    /// <summary>The tar with one entry's content replaced (its size and checksum updated, the rest moved).</summary>
    public static byte[] WithContent(byte[] tar, int header, byte[] content)
    {
        var oldEnd = header + Block + Padded(Size(tar, header));
        byte[] rebuilt = [.. tar.AsSpan(0, header + Block), .. content, .. new byte[Padded(content.Length) - content.Length], .. tar.AsSpan(oldEnd)];
        WriteOctal(rebuilt, header + 124, 12, content.Length);
        FixChecksum(rebuilt, header);
        return rebuilt;
    }

    public static void WriteOctal(byte[] tar, int at, int width, long value)
    {
        var text = Convert.ToString(value, 8).PadLeft(width - 1, '0');
        Encoding.ASCII.GetBytes(text[^(width - 1)..]).CopyTo(tar, at);
        tar[at + width - 1] = 0;
    }

    public static void FixChecksum(byte[] tar, int header)
    {
        tar.AsSpan(header + 148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in tar.AsSpan(header, Block))
            sum += b;
        WriteOctal(tar, header + 148, 7, sum);
        tar[header + 155] = (byte)' ';
    }

    private static int Padded(long size) => (int)((size + Block - 1) / Block * Block);
}
