using System.Buffers.Binary;
using System.Text;

namespace Pkg2d.Resolve;

/// <summary>
/// MurmurHash3 (x86, 32-bit) of a string's UTF-8 bytes: the hash apk-tools files names and directories under (seed
/// 5381, 20000 buckets), whose walks give the order of its reverse-dependency lists and of a trigger's directories.
/// </summary>
public static class Murmur3
{
    public static uint Hash(string text, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var length = Encoding.UTF8.GetByteCount(text);
        Span<byte> buffer = stackalloc byte[256];
        var data = length <= buffer.Length ? buffer[..length] : new byte[length];
        Encoding.UTF8.GetBytes(text, data);
        var hash = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data[(i * 4)..]);
            hash ^= uint.RotateLeft(k * c1, 15) * c2;
            hash = uint.RotateLeft(hash, 13) * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        if (tail.Length > 0)
        {
            uint k = 0;
            for (var i = tail.Length - 1; i >= 0; i--)
                k = (k << 8) | tail[i];
            hash ^= uint.RotateLeft(k * c1, 15) * c2;
        }
        hash ^= (uint)data.Length;
        hash ^= hash >> 16;
        hash *= 0x85ebca6b;
        hash ^= hash >> 13;
        hash *= 0xc2b2ae35;
        hash ^= hash >> 16;
        return hash;
    }
}
