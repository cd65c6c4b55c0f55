using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Pkg2d.Apk.Format;

namespace Pkg2d.Image.Assembly;

/// <summary>
/// One logical entry of a tar stream as raw blocks: the extended headers before it (PAX `x`, GNU `L`/`K`), its own
/// header, and the size of the content that follows. Derived layers copy entries through this, verbatim or with a
/// new path or owner, so every byte that is not changed on purpose stays the package's own.
/// </summary>
internal sealed class RawTarEntry
{
    public const int Block = 512;

    public required byte[] Header { get; init; }

    /// <summary>The raw blocks of the extended headers that precede <see cref="Header"/> (content included).</summary>
    public required byte[] Extensions { get; init; }

    /// <summary>PAX records of the preceding `x` header, in order; empty when there is none.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Pax { get; init; }

    /// <summary>The entry's path normalised as <see cref="ApkDataTar.Normalize"/> does.</summary>
    public required string Path { get; init; }

    public byte TypeFlag => Header[156];

    /// <summary>The bytes of content after the header, before padding.</summary>
    public required long ContentSize { get; init; }

    public long PaddedContentSize => (ContentSize + Block - 1) / Block * Block;

    /// <summary>The entry's headers exactly as they were.</summary>
    public void WriteHeaders(Stream output)
    {
        output.Write(Extensions);
        output.Write(Header);
    }

    /// <summary>
    /// The entry's headers with a new path, owner or mode: a fresh PAX header carries the original PAX records with
    /// those fields replaced (and the path when it does not fit the ustar name field); GNU long-name headers are
    /// dropped in favour of it. Times, type and the content's checksum records stay as they were.
    /// </summary>
    public void WriteModifiedHeaders(Stream output, string path, EntryOwner? owner, int? mode)
    {
        var header = (byte[])Header.Clone();
        var name = Encoding.UTF8.GetBytes(TypeFlag == (byte)'5' ? path + "/" : path);
        var records = Pax.Where(r => r.Key != "path").ToList();
        header.AsSpan(0, 100).Clear();
        header.AsSpan(345, 155).Clear(); // ustar prefix: the whole name is in the name field or the PAX record
        name.AsSpan(0, Math.Min(name.Length, 100)).CopyTo(header);
        if (name.Length > 100)
            records.Add(new("path", Encoding.UTF8.GetString(name)));
        if (owner is { } o)
        {
            Octal(header.AsSpan(108, 8), o.Uid);
            Octal(header.AsSpan(116, 8), o.Gid);
            Text(header.AsSpan(265, 32), o.UserName);
            Text(header.AsSpan(297, 32), o.GroupName);
            Replace(records, "uid", o.Uid.ToString(CultureInfo.InvariantCulture));
            Replace(records, "gid", o.Gid.ToString(CultureInfo.InvariantCulture));
            Replace(records, "uname", o.UserName);
            Replace(records, "gname", o.GroupName);
        }
        if (mode is { } m)
            Octal(header.AsSpan(100, 8), m);
        if (header.AsSpan(257, 5).SequenceEqual("ustar"u8) is false)
        {
            // A v7 or GNU header: ustar's magic makes the user and group names count for every reader.
            "ustar\0"u8.CopyTo(header.AsSpan(257));
            "00"u8.CopyTo(header.AsSpan(263));
        }
        Checksum(header);
        if (records.Count > 0)
            WritePax(output, records);
        output.Write(header);
    }

    private static void Replace(List<KeyValuePair<string, string>> records, string key, string value)
    {
        var index = records.FindIndex(r => r.Key == key);
        if (index >= 0)
            records[index] = new(key, value);
    }

    private static void WritePax(Stream output, List<KeyValuePair<string, string>> records)
    {
        var body = new MemoryStream();
        foreach (var (key, value) in records)
        {
            // "LEN key=value\n", where LEN counts itself.
            var rest = Encoding.UTF8.GetByteCount($" {key}={value}\n");
            var length = rest + 1;
            while (length.ToString(CultureInfo.InvariantCulture).Length + rest != length)
                length++;
            body.Write(Encoding.UTF8.GetBytes($"{length} {key}={value}\n"));
        }
        var header = new byte[Block];
        "././@PaxHeader"u8.CopyTo(header);
        Octal(header.AsSpan(100, 8), 0x1a4);
        Octal(header.AsSpan(108, 8), 0);
        Octal(header.AsSpan(116, 8), 0);
        Octal(header.AsSpan(124, 12), body.Length);
        Octal(header.AsSpan(136, 12), 0);
        header[156] = (byte)'x';
        "ustar\0"u8.CopyTo(header.AsSpan(257));
        "00"u8.CopyTo(header.AsSpan(263));
        Checksum(header);
        output.Write(header);
        output.Write(body.GetBuffer(), 0, (int)body.Length);
        output.Write(new byte[(Block - body.Length % Block) % Block]);
    }

    internal static void Octal(Span<byte> field, long value)
    {
        field.Clear();
        var text = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(text, field);
    }

    private static void Text(Span<byte> field, string value)
    {
        field.Clear();
        var bytes = Encoding.UTF8.GetBytes(value);
        bytes.AsSpan(0, Math.Min(bytes.Length, field.Length - 1)).CopyTo(field);
    }

    internal static void Checksum(byte[] header)
    {
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
            sum += b;
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ", header.AsSpan(148, 8));
    }
}

/// <summary>Numeric and named owner of a tar entry.</summary>
public readonly record struct EntryOwner(int Uid, int Gid, string UserName, string GroupName);

/// <summary>Reads a tar stream as <see cref="RawTarEntry"/>s; each entry's content is copied or skipped before the next.</summary>
internal sealed class RawTarReader(Stream tar, string source)
{
    private const int Block = RawTarEntry.Block;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private long _pending;

    /// <summary>The next entry, or null at the end-of-archive marker or the end of the stream.</summary>
    public RawTarEntry? Next()
    {
        if (_pending > 0)
            SkipContent();
        var extensions = new MemoryStream();
        IReadOnlyList<KeyValuePair<string, string>> pax = [];
        string? longName = null;
        while (true)
        {
            var header = new byte[Block];
            if (tar.ReadAtLeast(header, Block, throwOnEndOfStream: false) < Block || header.AsSpan().IndexOfAnyExcept((byte)0) < 0)
                return null;
            var size = Size(header);
            if (header[156] is (byte)'x' or (byte)'L' or (byte)'K' or (byte)'g')
            {
                if (size > 1 << 20)
                    throw new InvalidDataException($"{source}: an extended tar header of {size} bytes");
                var content = new byte[(size + Block - 1) / Block * Block];
                tar.ReadExactly(content);
                if (header[156] == (byte)'g')
                    continue; // global PAX headers carry nothing apk uses; derived layers leave them out
                extensions.Write(header);
                extensions.Write(content);
                if (header[156] == (byte)'x')
                    pax = ParsePax(content.AsSpan(0, (int)size));
                else if (header[156] == (byte)'L')
                    longName = Encoding.UTF8.GetString(content, 0, (int)size).TrimEnd('\0');
                continue;
            }
            var name = pax.LastOrDefault(r => r.Key == "path").Value ?? longName ?? UstarName(header);
            var entry = new RawTarEntry
            {
                Header = header,
                Extensions = extensions.ToArray(),
                Pax = pax,
                Path = ApkDataTar.Normalize(name, source),
                ContentSize = size,
            };
            _pending = entry.PaddedContentSize;
            return entry;
        }
    }

    public void CopyContent(Stream output)
    {
        while (_pending > 0)
        {
            var read = tar.Read(_buffer, 0, (int)Math.Min(_buffer.Length, _pending));
            if (read == 0)
                throw new InvalidDataException($"{source}: the data tar ends inside an entry");
            output.Write(_buffer, 0, read);
            _pending -= read;
        }
    }

    public void SkipContent() => CopyContent(Stream.Null);

    private static string UstarName(byte[] header)
    {
        var name = CString(header.AsSpan(0, 100));
        if (header.AsSpan(257, 5).SequenceEqual("ustar"u8) && header[345] != 0)
            name = CString(header.AsSpan(345, 155)) + "/" + name;
        return name;
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }

    /// <summary>PAX records, "LEN key=value\n" each, where LEN counts the record's bytes.</summary>
    private static List<KeyValuePair<string, string>> ParsePax(ReadOnlySpan<byte> body)
    {
        var records = new List<KeyValuePair<string, string>>();
        while (body.Length > 0)
        {
            var space = body.IndexOf((byte)' ');
            if (space <= 0 || !int.TryParse(body[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                || length <= space + 1 || length > body.Length)
                break;
            var record = body[(space + 1)..(length - 1)];
            var equals = record.IndexOf((byte)'=');
            if (equals > 0)
                records.Add(new(Encoding.UTF8.GetString(record[..equals]), Encoding.UTF8.GetString(record[(equals + 1)..])));
            body = body[length..];
        }
        return records;
    }

    /// <summary>The size field (octal, or GNU base-256); zero for types that carry no content, as Go's archive/tar reads it.</summary>
    private long Size(ReadOnlySpan<byte> header)
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
                throw new InvalidDataException($"{source}: invalid tar size field");
            size = size * 8 + (b - '0');
        }
        return size;
    }
}
