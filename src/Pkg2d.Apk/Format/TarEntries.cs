using System.Formats.Tar;

namespace Pkg2d.Apk.Format;

internal static class TarEntries
{
    /// <summary>The next entry; TarReader's own errors become format errors naming the file and the tar.</summary>
    public static TarEntry? Next(TarReader tar, string source, string what)
    {
        try
        {
            return tar.GetNextEntry();
        }
        // TarReader reports a damaged header in all of these (a size field too large, a sparse or unknown entry type).
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException
            or OverflowException or NotSupportedException or InvalidOperationException)
        {
            throw new ApkFormatException($"{source}: invalid {what}: {e.Message}", e);
        }
    }

    /// <summary>An entry's whole content, for the small files that are read into memory (signatures, .PKGINFO, scripts).</summary>
    public static byte[] ReadContent(TarEntry entry, string source, long maxLength)
    {
        if (entry.Length > maxLength)
            throw new ApkFormatException($"{source}: {entry.Name} is too large ({entry.Length} bytes, at most {maxLength} expected)");
        var content = new byte[entry.Length];
        try
        {
            entry.DataStream?.ReadExactly(content);
        }
        catch (EndOfStreamException e)
        {
            throw new ApkFormatException($"{source}: {entry.Name} ends before its {entry.Length} bytes", e);
        }
        return content;
    }
}
