namespace Pkg2d.Apk.Format;

/// <summary>
/// Writes one gzip member with the system's zlib, as apk-tools writes its gzip files (lib/apk/db/scripts.tar.gz of
/// apk 3): the same zlib at the same level gives the same bytes, which the BCL's own deflate (zlib-ng) does not.
/// </summary>
public static class GzipMemberWriter
{
    public static byte[] Compress(ReadOnlySpan<byte> data, int level) => Zlib.GzipCompress(data, level);
}
