using System.Globalization;

namespace Pkg2d.Serve.Registry;

/// <summary>The part of a blob a <c>Range</c> header asks for: one range of bytes (RFC 9110, section 14).</summary>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    /// <summary>
    /// The range of a <c>bytes=FIRST-LAST</c>, <c>bytes=FIRST-</c> or <c>bytes=-SUFFIX</c> header within
    /// <paramref name="size"/> bytes: null to send the whole blob (no header, or one this server ignores as RFC 9110
    /// allows: several ranges, other units, bad syntax); <see cref="IsSatisfiable"/> false when none of it exists.
    /// </summary>
    public static ByteRange? Parse(string? header, long size)
    {
        const string prefix = "bytes=";
        if (header is null || !header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Contains(','))
            return null;
        var spec = header[prefix.Length..].Trim();
        var dash = spec.IndexOf('-');
        if (dash < 0)
            return null;
        var first = spec[..dash];
        var last = spec[(dash + 1)..];
        if (first.Length == 0)
        {
            if (!TryParse(last, out var suffix))
                return null;
            return suffix == 0 ? Unsatisfiable : new ByteRange(Math.Max(0, size - suffix), Math.Min(suffix, size));
        }
        if (!TryParse(first, out var start))
            return null;
        var end = size - 1;
        if (last.Length > 0)
        {
            if (!TryParse(last, out var lastByte) || lastByte < start)
                return null;
            end = Math.Min(end, lastByte);
        }
        return start >= size ? Unsatisfiable : new ByteRange(start, end - start + 1);
    }

    public bool IsSatisfiable => Length > 0;

    private static readonly ByteRange Unsatisfiable = new(0, 0);

    private static bool TryParse(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
