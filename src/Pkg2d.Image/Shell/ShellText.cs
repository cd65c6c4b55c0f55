using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// The shell works on bytes, as ash does: scripts, values and file contents are held as strings of Latin-1
/// characters, one per byte, so any content (UTF-8 or not) goes through unchanged.
/// </summary>
public static class ShellText
{
    public static readonly Encoding Bytes = Encoding.Latin1;

    public static string Decode(ReadOnlySpan<byte> bytes) => Bytes.GetString(bytes);

    public static byte[] Encode(string text) => Bytes.GetBytes(text);
}
