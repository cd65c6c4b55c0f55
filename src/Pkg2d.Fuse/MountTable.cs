using System.Text;

namespace Pkg2d.Fuse;

/// <summary>The mounts of this process's namespace, from /proc/self/mountinfo.</summary>
internal static class MountTable
{
    public readonly record struct Entry(string MountPoint, string FileSystemType, string Source);

    public static IReadOnlyList<Entry> Read()
    {
        var entries = new List<Entry>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            if (ParseLine(line) is { } entry)
                entries.Add(entry);
        return entries;
    }

    /// <summary>One mountinfo line: id parent major:minor root mount-point options [optional...] - type source super-options.</summary>
    public static Entry? ParseLine(string line)
    {
        var fields = line.Split(' ');
        var separator = Array.IndexOf(fields, "-", Math.Min(6, fields.Length));
        if (fields.Length < 5 || separator < 0 || separator + 2 >= fields.Length)
            return null;
        return new Entry(Unescape(fields[4]), Unescape(fields[separator + 1]), Unescape(fields[separator + 2]));
    }

    public static Entry? Find(string mountPoint)
    {
        Entry? last = null;
        foreach (var entry in Read())
            if (entry.MountPoint == mountPoint)
                last = entry; // the last one listed is the one on top
        return last;
    }

    /// <summary>Undoes the kernel's octal escapes of space, tab, newline and backslash (\040, \011, \012, \134).</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                text.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
                text.Append(field[i]);
        }
        return text.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 2 < s.Length && s[at] is >= '0' and <= '7' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
