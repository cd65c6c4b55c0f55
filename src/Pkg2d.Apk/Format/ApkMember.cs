namespace Pkg2d.Apk.Format;

/// <summary>Where one gzip member of a package lies in the file: its first byte and its compressed length.</summary>
public readonly record struct ApkMember(long Offset, long Length)
{
    public long End => Offset + Length;
}
