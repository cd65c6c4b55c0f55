namespace Pkg2d.Image.Shell;

/// <summary>A line of etc/passwd as musl's getpwent reads it.</summary>
internal sealed record PasswdEntry(string Name, uint Uid, uint Gid, string Shell);

/// <summary>A line of etc/group as musl's getgrent reads it.</summary>
internal sealed record GroupEntry(string Name, uint Gid, IReadOnlyList<string> Members);

/// <summary>
/// musl's reading of passwd and group lines, which is what busybox's getpwnam/getgrgid calls see: a line without
/// enough fields or with a non-numeric id is skipped, and a member right after an empty one keeps a comma.
/// </summary>
internal static class AccountEntries
{
    public static PasswdEntry? ParsePasswd(string line)
    {
        var fields = Fields(line, 7);
        if (fields is null || Number(fields[2]) is not { } uid || Number(fields[3]) is not { } gid)
            return null;
        return new PasswdEntry(fields[0], uid, gid, fields[6]);
    }

    public static GroupEntry? ParseGroup(string line)
    {
        var fields = Fields(line, 4);
        if (fields is null || Number(fields[2]) is not { } gid)
            return null;
        return new GroupEntry(fields[0], gid, Members(fields[3]));
    }

    // The first count-1 colons split fields; the last field keeps any further colons. musl looks for the first
    // colon from the second character on, so a name is never empty.
    private static string[]? Fields(string line, int count)
    {
        var fields = new string[count];
        var start = 0;
        for (var i = 0; i < count - 1; i++)
        {
            var colon = line.IndexOf(':', i == 0 ? Math.Min(1, line.Length) : start);
            if (colon < 0)
                return null;
            fields[i] = line[start..colon];
            start = colon + 1;
        }
        fields[count - 1] = line[start..];
        return fields;
    }

    // musl's atou: leading digits (none is 0), wrapping at 2^32; anything after them makes the line invalid.
    private static uint? Number(string field)
    {
        uint value = 0;
        foreach (var c in field)
        {
            if (!char.IsAsciiDigit(c))
                return null;
            value = unchecked(value * 10 + (uint)(c - '0'));
        }
        return value;
    }

    // musl skips the character after each comma when it splits, so in `a,,b` the members are `a` and `,b`.
    private static List<string> Members(string list)
    {
        var members = new List<string>();
        if (list.Length == 0)
            return members;
        var start = 0;
        for (var i = 0; i < list.Length; i++)
        {
            if (list[i] != ',')
                continue;
            members.Add(list[start..i]);
            start = i + 1;
            i++;
        }
        members.Add(list[start..]);
        return members;
    }
}
