namespace Pkg2d.Image.Shell;

/// <summary>
/// The applets a busybox binary installs, read from the binary itself — what `busybox --install` walks at run time —
/// for a busybox package that ships no list of them in etc/busybox-paths.d (older ones, such as Alpine 3.7's 1.27). busybox keeps its
/// applet names as one run of NUL-terminated, sorted strings starting `[`, `[[`, and their install directories as
/// four-bit codes, two a byte, low nibble first (1 /bin, 2 /sbin, 3 /usr/bin, 4 /usr/sbin). The codes are found as
/// the only run of bytes of the right length whose every nibble is such a code; anything else (no names, no run, or
/// more than one) gives null and the script stays pending.
/// </summary>
public static class BusyboxAppletTable
{
    private static readonly string[] Directories = ["", "bin", "sbin", "usr/bin", "usr/sbin"];

    /// <summary>The applets' link paths (`bin/ls`), in the table's order, or null when the table cannot be told.</summary>
    public static IReadOnlyList<string>? Read(ReadOnlySpan<byte> binary)
    {
        var start = binary.IndexOf("[\0[[\0"u8);
        if (start < 0)
            return null;
        var names = new List<string>();
        var at = start;
        while (at < binary.Length)
        {
            var end = binary[at..].IndexOf((byte)0);
            if (end <= 0)
                break;
            var name = ShellText.Decode(binary.Slice(at, end));
            if (names.Count > 0 && string.CompareOrdinal(name, names[^1]) <= 0 || !IsAppletName(name))
                break;
            names.Add(name);
            at += end + 1;
        }
        if (names.Count < 2)
            return null;
        var length = (names.Count + 1) / 2;
        var table = -1;
        for (var candidate = 0; candidate + length <= binary.Length; candidate++)
        {
            // The codes lie outside the names (their run of codes may end right where the names begin).
            if (candidate + length > start && candidate < at)
                continue;
            if (!AreCodes(binary.Slice(candidate, length), names.Count % 2 == 1))
                continue;
            if (table >= 0)
                return null;
            table = candidate;
        }
        if (table < 0)
            return null;
        var paths = new List<string>(names.Count);
        for (var i = 0; i < names.Count; i++)
        {
            var code = (binary[table + i / 2] >> (i % 2 * 4)) & 0xF;
            paths.Add(Directories[code].Length == 0 ? names[i] : Directories[code] + "/" + names[i]);
        }
        return paths;
    }

    private static bool AreCodes(ReadOnlySpan<byte> bytes, bool oddCount)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var low = bytes[i] & 0xF;
            var high = bytes[i] >> 4;
            var lastHalf = oddCount && i == bytes.Length - 1;
            if (low is < 1 or > 4 || (lastHalf ? high != 0 : high is < 1 or > 4))
                return false;
        }
        return true;
    }

    private static bool IsAppletName(string name) => name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_' or '.' or '[' or ']');
}
