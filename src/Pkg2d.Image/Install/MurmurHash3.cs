using System.Buffers.Binary;
using System.Numerics;

namespace Pkg2d.Image.Install;

/// <summary>MurmurHash3 x86 32-bit, which apk-tools hashes its directory table with (the order triggers see directories in).</summary>
internal static class MurmurHash3
{
    public static uint Hash(ReadOnlySpan<byte> data, uint seed)
    {
        const uint c1 = 0xcc9e2d51, c2 = 0x1b873593;
        var h = seed;
        var blocks = data.Length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(i * 4, 4));
            k = BitOperations.RotateLeft(k * c1, 15) * c2;
            h ^= k;
            h = BitOperations.RotateLeft(h, 13) * 5 + 0xe6546b64;
        }
        var tail = data[(blocks * 4)..];
        uint t = 0;
        switch (tail.Length)
        {
            case 3:
                t ^= (uint)tail[2] << 16;
                goto case 2;
            case 2:
                t ^= (uint)tail[1] << 8;
                goto case 1;
            case 1:
                t ^= tail[0];
                h ^= BitOperations.RotateLeft(t * c1, 15) * c2;
                break;
        }
        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }
}
