namespace Pkg2d.Apk.Format;

/// <summary>A gzip member that cannot be inflated: corrupt deflate data, a bad CRC, or input that ends mid-member.</summary>
public sealed class GzipFormatException(string message, int memberIndex, long memberOffset, bool truncated)
    : ApkFormatException(message)
{
    /// <summary>Which member (0-based) failed.</summary>
    public int MemberIndex { get; } = memberIndex;

    /// <summary>The byte offset where that member starts.</summary>
    public long MemberOffset { get; } = memberOffset;

    /// <summary>True when the input ended before the member did.</summary>
    public bool Truncated { get; } = truncated;
}
