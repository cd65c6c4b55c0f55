using System.Text;

namespace Pkg2d.Image.TopLayer;

/// <summary>
/// The order apk lists package names in (apk_name_cmp_display): ASCII case folded first (strcasecmp), then byte
/// order (strcmp). Its database and its scripts database are written in this order.
/// </summary>
internal sealed class NameOrder : IComparer<string>
{
    public static readonly NameOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        var (a, b) = (Encoding.UTF8.GetBytes(x ?? ""), Encoding.UTF8.GetBytes(y ?? ""));
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var difference = Lower(a[i]) - Lower(b[i]);
            if (difference != 0)
                return difference;
        }
        return a.Length != b.Length ? a.Length - b.Length : ByteOrder.Instance.Compare(a, b);
    }

    private static int Lower(byte c) => c is >= (byte)'A' and <= (byte)'Z' ? c + 32 : c;
}

/// <summary>Plain byte order (memcmp over the common length, then the shorter first): apk_blob_sort.</summary>
internal sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
