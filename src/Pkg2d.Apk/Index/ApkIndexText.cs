namespace Pkg2d.Apk.Index;

/// <summary>
/// The plain-text APKINDEX format: records of `X:value` lines separated by blank lines.
/// </summary>
public static class ApkIndexText
{
    /// <summary>
    /// Reads every record. <paramref name="source"/> names the file in errors; a malformed line is an error that
    /// gives its line number, never silently skipped.
    /// </summary>
    public static List<ApkIndexEntry> Parse(TextReader reader, string repository, string source)
    {
        var entries = new List<ApkIndexEntry>();
        var fields = new List<KeyValuePair<char, string>>();
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

        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                Flush();
                continue;
            }
            if (line.Length < 2 || line[1] != ':')
                throw new ApkFormatException($"{source}: line {lineNumber}: expected 'X:value', got '{Truncate(line)}'");
            if (fields.Count == 0)
                recordStart = lineNumber;
            fields.Add(new(line[0], line[2..]));
        }
        Flush();
        return entries;
    }

    private static string Truncate(string line) => line.Length <= 60 ? line : line[..60] + "...";
}
