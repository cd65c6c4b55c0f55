using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Index;

namespace Pkg2d.Fetch;

/// <summary>
/// A verified, parsed index saved in a compact binary form, so that loading an unchanged index skips the gunzip, the
/// RSA check and the text parse. A snapshot is used only when its key — a hash of the index bytes and of everything
/// else the result depends on — equals the one computed for the load at hand, and only when its own checksum holds;
/// anything else (another key, a flipped bit, a short file, an unknown version) means "no snapshot".
/// </summary>
/// <remarks>
/// Layout: magic, the 32-byte key, a table of distinct strings, then the index (description, signer, the warnings the
/// verification gave, every entry's fields in order as string-table indexes), and a SHA-256 of all bytes before it.
/// </remarks>
internal static class IndexSnapshot
{
    private static readonly byte[] Magic = "pkg2d-index-snapshot-1\n"u8.ToArray();
    private const int HashSize = 32;

    /// <summary>The key of one load: the index bytes, the trusted keys, and every option that changes the result.</summary>
    public static byte[] Key(ReadOnlySpan<byte> indexSha256, ReadOnlySpan<byte> keysFingerprint, string arch, bool allowUntrusted,
        RepositoryKind kind, string repository, string source)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(indexSha256);
            writer.Write(keysFingerprint);
            writer.Write(arch);
            writer.Write(allowUntrusted);
            writer.Write((int)kind);
            writer.Write(repository);
            writer.Write(source);
        }
        return SHA256.HashData(stream.GetBuffer().AsSpan(0, (int)stream.Length));
    }

    /// <summary>The index and the warnings its verification gave, or null when the snapshot is missing, stale or damaged.</summary>
    public static (ApkIndex Index, IReadOnlyList<string> Warnings)? TryRead(string path, ReadOnlySpan<byte> key, string repository, string source)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var bodyLength = bytes.Length - HashSize;
        if (bodyLength < Magic.Length + HashSize
            || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            || !bytes.AsSpan(Magic.Length, HashSize).SequenceEqual(key)
            || !SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
            return null;
        try
        {
            return Parse(bytes, Magic.Length + HashSize, bodyLength - Magic.Length - HashSize, repository, source);
        }
        catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            // Only reachable with a checksum collision or a writer bug; either way the snapshot is not used.
            return null;
        }
    }

    // Decoded straight from the bytes (no BinaryReader per value): this is the whole cost of a warm index load, and it
    // runs once per process, where tiered compilation would leave it unoptimized.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (ApkIndex Index, IReadOnlyList<string> Warnings)? Parse(byte[] bytes, int start, int bodyLength, string repository, string source)
    {
        var data = bytes.AsSpan(start, bodyLength);
        var position = 0;
        // The strings stay bytes in the snapshot's buffer until asked for.
        var strings = new SnapshotStrings(bytes, start, ReadInt(data, ref position));
        for (var i = 0; i < strings.Count; i++)
        {
            var length = ReadInt(data, ref position);
            strings.Add(i, position, length);
            position += length;
        }
        var description = Optional(strings, ReadInt(data, ref position));
        var signedBy = Optional(strings, ReadInt(data, ref position));
        var warnings = new string[ReadInt(data, ref position)];
        for (var i = 0; i < warnings.Length; i++)
            warnings[i] = strings[ReadInt(data, ref position)];
        var entries = new List<ApkIndexEntry>(ReadInt(data, ref position));
        for (var count = entries.Capacity; count > 0; count--)
        {
            var fields = new (char Key, int Id)[ReadInt(data, ref position)];
            for (var i = 0; i < fields.Length; i++)
            {
                var key = (char)BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(position, 2));
                position += 2;
                var id = ReadInt(data, ref position);
                fields[i] = (key, id < strings.Count ? id : throw new FormatException("a field names no string of the snapshot"));
            }
            entries.Add(new ApkIndexEntry(new SnapshotFields(strings, fields), repository));
        }
        if (position != data.Length)
            return null;
        return (new ApkIndex(repository, source, description, entries, signedBy), warnings);
    }

    private static string? Optional(SnapshotStrings strings, int id) => id == 0 ? null : strings[id - 1];

    /// <summary>
    /// The snapshot's string table over its bytes: a string is decoded when first asked for, then kept (two threads
    /// asking at once may both decode it; either copy is kept, and they are equal).
    /// </summary>
    private sealed class SnapshotStrings(byte[] data, int start, int count)
    {
        private readonly (int Offset, int Length)[] _places = new (int, int)[count];
        private readonly string?[] _decoded = new string?[count];

        public int Count => _places.Length;

        public void Add(int id, int offset, int length) => _places[id] = (offset, length);

        public string this[int id] => _decoded[id] ??= Encoding.UTF8.GetString(data, start + _places[id].Offset, _places[id].Length);
    }

    /// <summary>An entry's fields as keys and string-table ids: values are made when read.</summary>
    private sealed class SnapshotFields(SnapshotStrings strings, (char Key, int Id)[] fields) : LazyFields
    {
        public override int Count => fields.Length;

        public override char KeyAt(int index) => fields[index].Key;

        public override string ValueAt(int index) => strings[fields[index].Id];
    }

    /// <summary>A 7-bit encoded int as <see cref="BinaryWriter.Write7BitEncodedInt"/> writes it.</summary>
    private static int ReadInt(ReadOnlySpan<byte> data, ref int position)
    {
        var result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = data[position++];
            result |= (b & 0x7F) << shift;
            if (b < 0x80)
                return result >= 0 ? result : throw new FormatException("negative count in an index snapshot");
        }
        throw new FormatException("overlong number in an index snapshot");
    }

    /// <summary>Writes the snapshot atomically (temp file and rename), so a reader never sees half of one.</summary>
    public static void Write(string path, ReadOnlySpan<byte> key, ApkIndex index, IReadOnlyList<string> warnings)
    {
        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        var strings = new List<string>();
        int Id(string value)
        {
            if (!table.TryGetValue(value, out var id))
            {
                table.Add(value, id = strings.Count);
                strings.Add(value);
            }
            return id;
        }

        // The body is written first to fill the string table, which the reader needs first.
        using var body = new MemoryStream();
        using (var writer = new BinaryWriter(body, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write7BitEncodedInt(index.Description is null ? 0 : Id(index.Description) + 1);
            writer.Write7BitEncodedInt(index.SignedBy is null ? 0 : Id(index.SignedBy) + 1);
            writer.Write7BitEncodedInt(warnings.Count);
            foreach (var warning in warnings)
                writer.Write7BitEncodedInt(Id(warning));
            writer.Write7BitEncodedInt(index.Entries.Count);
            foreach (var entry in index.Entries)
            {
                writer.Write7BitEncodedInt(entry.Fields.Count);
                foreach (var (fieldKey, value) in entry.Fields)
                {
                    writer.Write((ushort)fieldKey);
                    writer.Write7BitEncodedInt(Id(value));
                }
            }
        }

        using var file = new MemoryStream((int)body.Length + 1024);
        using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(key);
            writer.Write7BitEncodedInt(strings.Count);
            foreach (var value in strings)
                writer.Write(value);
            writer.Write(body.GetBuffer().AsSpan(0, (int)body.Length));
        }
        var content = file.GetBuffer().AsSpan(0, (int)file.Length);
        var checksum = SHA256.HashData(content);

        var temp = PackageCache.TempPath(Path.GetDirectoryName(path)!, "snapshot");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(content);
                stream.Write(checksum);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
