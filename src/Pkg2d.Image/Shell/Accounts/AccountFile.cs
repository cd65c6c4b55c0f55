using System.Text;

namespace Pkg2d.Image.Shell;

/// <summary>
/// One of etc/passwd, etc/group, etc/shadow as bytes, rewritten the way busybox's update_passwd does: every line
/// is written back with a `\n` (a missing final newline is added), and the previous content becomes the backup.
/// </summary>
internal sealed class AccountFile(byte[]? content)
{
    // Latin-1 maps each byte to one char, so lines come back byte for byte whatever their encoding.
    private static readonly Encoding Bytes = Encoding.Latin1;

    private List<string>? _lines;

    public byte[]? Content { get; private set; } = content;

    /// <summary>The content before the last rewrite (busybox keeps it as `etc/passwd-`); null before any.</summary>
    public byte[]? Backup { get; private set; }

    public bool Exists => Content is not null;

    /// <summary>The lines, without their `\n`.</summary>
    public IReadOnlyList<string> Lines => _lines ??= SplitLines(Content);

    /// <summary>
    /// The lines as musl's getpwent/getgrent see them: musl drops the last character of every line it reads,
    /// which is the last line's own last character when the file does not end with a newline.
    /// </summary>
    public IEnumerable<string> LookupLines =>
        Content is { Length: > 0 } content && content[^1] != (byte)'\n'
            ? Lines.Take(Lines.Count - 1).Append(Lines[^1][..^1])
            : Lines;

    /// <summary>
    /// update_passwd: with <paramref name="member"/>, appends it to the member list of each line of
    /// <paramref name="name"/>; otherwise drops the lines of <paramref name="name"/> and appends
    /// `name:<paramref name="entry"/>` at the end. False when the file does not exist.
    /// </summary>
    public bool Update(string name, string? entry, string? member)
    {
        if (!Exists)
            return false;
        var prefix = name + ":";
        var lines = new List<string>();
        foreach (var line in Lines)
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal))
                lines.Add(line);
            else if (member is not null)
                lines.Add(line + (line.EndsWith(':') ? "" : ",") + member);
        }
        if (member is null)
            lines.Add(prefix + entry);
        Backup = Content;
        Content = Bytes.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        _lines = lines;
        return true;
    }

    /// <summary>Drops the lines of <paramref name="name"/>; false when the file does not exist.</summary>
    public bool Remove(string name) => Rewrite(line => line.StartsWith(name + ":", StringComparison.Ordinal) ? null : line);

    /// <summary>Takes <paramref name="member"/> out of the member list (the fourth field) of every line.</summary>
    public bool RemoveMember(string member) => Rewrite(line =>
    {
        var fields = line.Split(':', 4);
        if (fields.Length < 4)
            return line;
        var members = fields[3].Split(',').Where(m => m != member);
        return $"{fields[0]}:{fields[1]}:{fields[2]}:{string.Join(',', members)}";
    });

    /// <summary>Rewrites the lines of <paramref name="name"/> with <paramref name="change"/>; false when the file does not exist.</summary>
    public bool Edit(string name, Func<string, string> change) =>
        Rewrite(line => line.StartsWith(name + ":", StringComparison.Ordinal) ? change(line) : line);

    public bool Has(string name) => Lines.Any(line => line.StartsWith(name + ":", StringComparison.Ordinal));

    private bool Rewrite(Func<string, string?> change)
    {
        if (!Exists)
            return false;
        var lines = Lines.Select(change).OfType<string>().ToList();
        if (lines.SequenceEqual(Lines))
            return true;
        Backup = Content;
        Content = Bytes.GetBytes(string.Concat(lines.Select(l => l + "\n")));
        _lines = lines;
        return true;
    }

    private static List<string> SplitLines(byte[]? content)
    {
        if (content is null || content.Length == 0)
            return [];
        var lines = Bytes.GetString(content).Split('\n').ToList();
        if (lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return lines;
    }
}
