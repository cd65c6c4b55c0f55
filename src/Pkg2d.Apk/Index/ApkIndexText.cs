using System.Runtime.CompilerServices;

namespace Pkg2d.Apk.Index;

/// <summary>
/// The plain-text APKINDEX format: records of `X:value` lines separated by blank lines.
/// </summary>
public static class ApkIndexText
{
    /// <summary>
    /// Fields whose values repeat across thousands of records (every subpackage of an origin shares its version, URL,
    /// commit, build time, maintainer and license): one string per distinct value instead of one per record.
    /// </summary>
    private const string SharedKeys = "AcLmoUVtIk";

    /// <summary>
    /// Reads every record. <paramref name="source"/> names the file in errors; a malformed line is an error that
    /// gives its line number, never silently skipped.
    /// </summary>
    public static List<ApkIndexEntry> Parse(TextReader reader, string repository, string source) =>
        // Lines are parsed as spans of the whole text, so only the stored values become strings.
        Parse(reader.ReadToEnd(), repository, source);

    /// <summary>Reads every record of <paramref name="text"/>; lines end with `\n`, `\r\n` or `\r`, as for <see cref="TextReader.ReadLine"/>.</summary>
    // Runs once per line (some 80,000 in a main index), mostly in a fresh process (`pkg2d export`), where tiered
    // compilation would leave it unoptimized for the whole read.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static List<ApkIndexEntry> Parse(ReadOnlySpan<char> text, string repository, string source)
    {
        var entries = new List<ApkIndexEntry>(text.Count("\n\n") + 1);
        var fields = new List<KeyValuePair<char, string>>(32);
        var shared = new Dictionary<string, string>(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        var lineNumber = 0;
        var recordStart = 0;

        void Flush()
        {
            if (fields.Count == 0)
                return;
            try
            {
                entries.Add(new ApkIndexEntry(fields.ToArray(), repository));
            }
            catch (FormatException e)
            {
                throw new ApkFormatException($"{source}: record at line {recordStart}: {e.Message}");
            }
            fields.Clear();
        }

        while (!text.IsEmpty)
        {
            lineNumber++;
            var line = NextLine(ref text);
            if (line.IsEmpty)
            {
                Flush();
                continue;
            }
            if (line.Length < 2 || line[1] != ':')
                throw new ApkFormatException($"{source}: line {lineNumber}: expected 'X:value', got '{Truncate(line)}'");
            if (fields.Count == 0)
                recordStart = lineNumber;
            var value = line[2..];
            fields.Add(new(line[0], SharedKeys.Contains(line[0]) ? Shared(shared, value) : value.ToString()));
        }
        Flush();
        return entries;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<char> NextLine(ref ReadOnlySpan<char> text)
    {
        var end = text.IndexOfAny('\r', '\n');
        if (end < 0)
        {
            var last = text;
            text = default;
            return last;
        }
        var line = text[..end];
        text = text[end..].StartsWith("\r\n") ? text[(end + 2)..] : text[(end + 1)..];
        return line;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static string Shared(Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> shared, ReadOnlySpan<char> value)
    {
        if (!shared.TryGetValue(value, out var s))
        {
            s = value.ToString();
            shared.Dictionary.Add(s, s);
        }
        return s;
    }

    private static string Truncate(ReadOnlySpan<char> line) => line.Length <= 60 ? line.ToString() : string.Concat(line[..60], "...");
}
