using System.Runtime.InteropServices;

namespace Pkg2d.Apk.Format;

/// <summary>
/// The few zlib calls needed to inflate one gzip member at a time. zlib reports exactly how much input it consumed,
/// which is what the BCL's read-ahead GZipStream cannot tell.
/// </summary>
internal static unsafe class Zlib
{
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NeedDict = 2;
    public const int BufError = -5;
    public const int NoFlush = 0;

    /// <summary>Gzip framing only (15-bit window + 16): zlib checks the header, the CRC-32 and the length trailer.</summary>
    public const int GzipWindowBits = 15 + 16;

    /// <summary>z_stream as laid out on 64-bit Linux (LP64: uLong is 64 bits).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ZStream
    {
        public byte* NextIn;
        public uint AvailIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailOut;
        public nuint TotalOut;
        public sbyte* Msg;
        public void* State;
        public void* ZAlloc;
        public void* ZFree;
        public void* Opaque;
        public int DataType;
        public nuint Adler;
        public nuint Reserved;
    }

    private const string Library = "libz.so.1";

    [DllImport(Library, EntryPoint = "inflateInit2_")]
    public static extern int InflateInit2(ZStream* stream, int windowBits, byte* version, int streamSize);

    [DllImport(Library, EntryPoint = "inflate")]
    public static extern int Inflate(ZStream* stream, int flush);

    [DllImport(Library, EntryPoint = "inflateReset")]
    public static extern int InflateReset(ZStream* stream);

    [DllImport(Library, EntryPoint = "inflateEnd")]
    public static extern int InflateEnd(ZStream* stream);

    [DllImport(Library, EntryPoint = "deflateInit2_")]
    public static extern int DeflateInit2(ZStream* stream, int level, int method, int windowBits, int memLevel, int strategy, byte* version, int streamSize);

    [DllImport(Library, EntryPoint = "deflate")]
    public static extern int Deflate(ZStream* stream, int flush);

    [DllImport(Library, EntryPoint = "deflateEnd")]
    public static extern int DeflateEnd(ZStream* stream);

    [DllImport(Library, EntryPoint = "deflateBound")]
    public static extern nuint DeflateBound(ZStream* stream, nuint sourceLength);

    public const int Finish = 4;

    /// <summary>zlib only compares the major version digit; any 1.x library accepts this.</summary>
    private static ReadOnlySpan<byte> Version => "1.2.11\0"u8;

    /// <summary>
    /// One gzip member of <paramref name="data"/> as zlib's own gzip wrapper writes it (no name, mtime 0, OS 3):
    /// the bytes apk-tools, which links zlib, writes for the same data at the same level.
    /// </summary>
    public static byte[] GzipCompress(ReadOnlySpan<byte> data, int level)
    {
        var stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        try
        {
            int rc;
            fixed (byte* version = Version)
                rc = DeflateInit2(stream, level, 8, GzipWindowBits, 8, 0, version, sizeof(ZStream));
            if (rc != Ok)
                throw new InvalidOperationException($"zlib deflateInit2 failed ({rc})");
            var output = new byte[(int)DeflateBound(stream, (nuint)data.Length) + 32];
            fixed (byte* input = data)
            fixed (byte* into = output)
            {
                stream->NextIn = input;
                stream->AvailIn = (uint)data.Length;
                stream->NextOut = into;
                stream->AvailOut = (uint)output.Length;
                rc = Deflate(stream, Finish);
            }
            if (rc != StreamEnd)
                throw new InvalidOperationException($"zlib deflate failed ({rc})");
            return output[..(int)stream->TotalOut];
        }
        finally
        {
            DeflateEnd(stream);
            NativeMemory.Free(stream);
        }
    }

    /// <summary>A z_stream in native memory (zlib keeps a pointer back to it) set up for gzip inflation.</summary>
    public sealed class Inflater : SafeHandle
    {
        public Inflater() : base(IntPtr.Zero, ownsHandle: true)
        {
            var stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
            int rc;
            fixed (byte* version = Version)
                rc = InflateInit2(stream, GzipWindowBits, version, sizeof(ZStream));
            if (rc != Ok)
            {
                NativeMemory.Free(stream);
                throw new InvalidOperationException($"zlib inflateInit2 failed ({rc})");
            }
            SetHandle((IntPtr)stream);
        }

        public ZStream* Stream => (ZStream*)handle;

        public override bool IsInvalid => handle == IntPtr.Zero;

        public string Message(int rc) =>
            Stream->Msg != null ? new string(Stream->Msg) : $"zlib error {rc}";

        protected override bool ReleaseHandle()
        {
            InflateEnd((ZStream*)handle);
            NativeMemory.Free((void*)handle);
            return true;
        }
    }
}
