using System.Runtime.CompilerServices;

namespace Pkg2d.Apk.Index;

/// <summary>
/// One package record of an APKINDEX (or of lib/apk/db/installed): every `X:value` line in order, with typed views of
/// the fields apk-tools defines. Unknown fields are kept in <see cref="Fields"/>, never lost.
/// </summary>
public sealed class ApkIndexEntry
{
    // Runs for every record of an index, mostly in a fresh process, where tiered compilation would leave it unoptimized.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ApkIndexEntry(IReadOnlyList<KeyValuePair<char, string>> fields, string repository)
    {
        Fields = fields;
        Repository = repository;
        // Indexed rather than enumerated: no enumerator per record.
        for (var i = 0; i < fields.Count; i++)
        {
            var (key, value) = fields[i];
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
                case 'D': _depends = value; break;
                case 'p': _provides = value; break;
                case 'i': _installIf = value; break;
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

    // The token lists are split on first use: a resolution reads the depends of only the few packages it visits.
    private readonly string? _depends, _provides, _installIf;
    private string[]? _dependsTokens, _providesTokens, _installIfTokens;

    /// <summary>Dependency tokens as written (`so:libc.musl-x86_64.so.1`, `!foo`, `bar>=1.2`).</summary>
    public IReadOnlyList<string> Depends => _dependsTokens ??= Split(_depends);

    /// <summary>Provided names as written (`cmd:ls=1.36.1-r0`, `so:libz.so.1=1.2.13`, `/bin/sh`).</summary>
    public IReadOnlyList<string> Provides => _providesTokens ??= Split(_provides);

    /// <summary>The `p:` line as written, space-separated (empty without one): read as a span, it costs no allocation.</summary>
    public ReadOnlySpan<char> ProvidesText => _provides;

    /// <summary>install_if tokens: the package is installed when all of them are.</summary>
    public IReadOnlyList<string> InstallIf => _installIfTokens ??= Split(_installIf);

    /// <summary>`k:` provider priority, or null when the package does not give one.</summary>
    public int? ProviderPriority { get; }

    /// <summary>The file name in its repository: `&lt;name&gt;-&lt;version&gt;.apk`.</summary>
    public string FileName => $"{Name}-{Version}.apk";

    /// <summary>The value of the first field with this key, or null.</summary>
    public string? this[char key]
    {
        get
        {
            for (var i = 0; i < Fields.Count; i++)
            {
                var field = Fields[i];
                if (field.Key == key)
                    return field.Value;
            }
            return null;
        }
    }

    public override string ToString() => $"{Name}-{Version}";

    private static string[] Split(string? value) => value is null ? [] : value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static long ParseLong(char key, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"invalid {key}: value '{value}'");
}
