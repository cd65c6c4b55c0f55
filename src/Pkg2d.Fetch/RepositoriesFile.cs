namespace Pkg2d.Fetch;

/// <summary>An /etc/apk/repositories-style file: one repository per line, `#` comments, blank lines, `@tag url`.</summary>
public static class RepositoriesFile
{
    public static IReadOnlyList<RepositorySpec> Load(string path)
    {
        using var reader = File.OpenText(path);
        return Parse(reader, path);
    }

    /// <summary>Reads every repository line; <paramref name="source"/> names the file in errors.</summary>
    public static IReadOnlyList<RepositorySpec> Parse(TextReader reader, string source)
    {
        var specs = new List<RepositorySpec>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
                continue;
            try
            {
                specs.Add(RepositorySpec.Parse(text));
            }
            catch (FormatException e)
            {
                throw new FormatException($"{source}: line {lineNumber}: {e.Message}", e);
            }
        }
        return specs;
    }
}
