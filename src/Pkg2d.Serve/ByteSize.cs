using System.Globalization;

namespace Pkg2d.Serve;

/// <summary>Sizes written as a number of bytes with an optional binary suffix: <c>512M</c>, <c>10G</c>, <c>1.5T</c>.</summary>
public static class ByteSize
{
    /// <summary>
    /// Parses <c>N</c>, <c>NK</c>, <c>NM</c>, <c>NG</c> or <c>NT</c> (powers of 1024; a trailing <c>B</c> or
    /// <c>iB</c> is allowed, as in <c>512MiB</c>); case-insensitive.
    /// </summary>
    public static long Parse(string text)
    {
        var value = text.Trim();
        if (value.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
            value = value[..^2];
        else if (value.Length > 1 && (value.EndsWith('B') || value.EndsWith('b')))
            value = value[..^1];
        var shift = value.Length == 0 ? -1 : char.ToUpperInvariant(value[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            >= '0' and <= '9' => 0,
            _ => -1,
        };
        if (shift > 0)
            value = value[..^1];
        if (shift < 0 || !decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"'{text}' is not a size such as 4096, 512M or 10G");
        var bytes = number * (1L << shift);
        if (bytes > long.MaxValue)
            throw new FormatException($"the size '{text}' is too large");
        return (long)decimal.Floor(bytes);
    }
}
