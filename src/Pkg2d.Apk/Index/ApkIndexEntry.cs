namespace Pkg2d.Apk.Index;

/// <summary>
/// One package record of an APKINDEX (or of lib/apk/db/installed): every `X:value` line in order, with typed views of
/// the fields apk-tools defines. Unknown fields are kept in <see cref="Fields"/>, never lost.
/// </summary>
public sealed class ApkIndexEntry
{
    public ApkIndexEntry(IReadOnlyList<KeyValuePair<char, string>> fields, string repository)
    {
        Fields = fields;
        Repository = repository;
        foreach (var (key, value) in fields)
        {
            switch (key)
            {
                case 'P': Name = value; break;
                case 'V': Version = value; break;
                case 'A': Arch = value; break;
                case 'S': Size = ParseLong(key, value); break;
                case 'I': InstalledSize = ParseLong(key, value); break;
                case 'T': Description = value; break;
                case 'U': Url = value; break;
                case 'L': License = value; break;
                case 'o': Origin = value; break;
                case 'm': Maintainer = value; break;
                case 't': BuildTime = ParseLong(key, value); break;
                case 'c': Commit = value; break;
                case 'D': Depends = Split(value); break;
                case 'p': Provides = Split(value); break;
                case 'i': InstallIf = Split(value); break;
                case 'k': ProviderPriority = (int)ParseLong(key, value); break;
                case 'C':
                    Checksum = ApkChecksum.TryParse(value, out var checksum)
                        ? checksum
                        : throw new FormatException($"invalid C: value '{value}'");
                    break;
            }
        }
        if (string.IsNullOrEmpty(Name))
            throw new FormatException("package record without a P: (name) line");
        if (string.IsNullOrEmpty(Version))
            throw new FormatException($"package record '{Name}' has no V: (version) line");
    }

    /// <summary>Every field in the order it was read, including those this type has no property for.</summary>
    public IReadOnlyList<KeyValuePair<char, string>> Fields { get; }

    /// <summary>Where the package file lives: the folder of the index (`&lt;base&gt;/&lt;arch&gt;`), as a URL or path.</summary>
    public string Repository { get; }

    public string Name { get; } = "";
    public string Version { get; } = "";
    public string? Arch { get; }
    public long Size { get; }
    public long InstalledSize { get; }
    public string? Description { get; }
    public string? Url { get; }
    public string? License { get; }
    public string? Origin { get; }
    public string? Maintainer { get; }
    public long BuildTime { get; }
    public string? Commit { get; }
    public ApkChecksum? Checksum { get; }

    /// <summary>Dependency tokens as written (`so:libc.musl-x86_64.so.1`, `!foo`, `bar>=1.2`).</summary>
    public IReadOnlyList<string> Depends { get; } = [];

    /// <summary>Provided names as written (`cmd:ls=1.36.1-r0`, `so:libz.so.1=1.2.13`, `/bin/sh`).</summary>
    public IReadOnlyList<string> Provides { get; } = [];

    /// <summary>install_if tokens: the package is installed when all of them are.</summary>
    public IReadOnlyList<string> InstallIf { get; } = [];

    /// <summary>`k:` provider priority, or null when the package does not give one.</summary>
    public int? ProviderPriority { get; }

    /// <summary>The file name in its repository: `&lt;name&gt;-&lt;version&gt;.apk`.</summary>
    public string FileName => $"{Name}-{Version}.apk";

    /// <summary>The value of the first field with this key, or null.</summary>
    public string? this[char key] => Fields.FirstOrDefault(f => f.Key == key).Value;

    public override string ToString() => $"{Name}-{Version}";

    private static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static long ParseLong(char key, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"invalid {key}: value '{value}'");
}
