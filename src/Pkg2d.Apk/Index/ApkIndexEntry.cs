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
        _lazy = fields as LazyFields;
        // Indexed rather than enumerated: no enumerator per record. Only the values used at once are read: the rest
        // (descriptions, URLs, the token lists...) are read when asked for, so lazy fields stay unmade until then.
        for (var i = 0; i < fields.Count; i++)
        {
            var key = KeyAt(i);
            switch (key)
            {
                case 'P': Name = ValueAt(i); break;
                case 'V': Version = ValueAt(i); break;
                case 'A': Arch = ValueAt(i); break;
                case 'S': Size = ParseLong(key, ValueAt(i)); break;
                case 'I': InstalledSize = ParseLong(key, ValueAt(i)); break;
                case 't': BuildTime = ParseLong(key, ValueAt(i)); break;
                case 'k': ProviderPriority = (int)ParseLong(key, ValueAt(i)); break;
                case 'D': _repeatedTokens |= _dependsField >= 0; _dependsField = i; break;
                case 'p': _repeatedTokens |= _providesField >= 0; _providesField = i; break;
                case 'i': _repeatedTokens |= _installIfField >= 0; _installIfField = i; break;
                case 'C':
                    var value = ValueAt(i);
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
    // Read when asked for; like every field the constructor reads, the last line of a key wins.
    public string? Description => Last('T');
    public string? Url => Last('U');
    public string? License => Last('L');
    public string? Origin => Last('o');
    public string? Maintainer => Last('m');
    public long BuildTime { get; }
    public string? Commit => Last('c');
    public ApkChecksum? Checksum { get; }

    private readonly LazyFields? _lazy;

    // Where the token lists are among the fields (-1: absent); they are split on first use: a resolution reads the
    // depends of only the few packages it visits. apk reads every D:, p: and i: line of a record: a key given on
    // several lines (no real index has one) is joined.
    private readonly int _dependsField = -1, _providesField = -1, _installIfField = -1;
    private readonly bool _repeatedTokens;
    private string[]? _dependsTokens, _providesTokens, _installIfTokens;

    /// <summary>Dependency tokens as written (`so:libc.musl-x86_64.so.1`, `!foo`, `bar>=1.2`).</summary>
    public IReadOnlyList<string> Depends => _dependsTokens ??= Split('D', _dependsField);

    /// <summary>Provided names as written (`cmd:ls=1.36.1-r0`, `so:libz.so.1=1.2.13`, `/bin/sh`).</summary>
    public IReadOnlyList<string> Provides => _providesTokens ??= Split('p', _providesField);

    /// <summary>The `p:` line as written, space-separated (empty without one): read as a span, it costs no token strings.</summary>
    public ReadOnlySpan<char> ProvidesText => TokenText('p', _providesField);

    /// <summary>install_if tokens: the package is installed when all of them are.</summary>
    public IReadOnlyList<string> InstallIf => _installIfTokens ??= Split('i', _installIfField);

    /// <summary>The `i:` line as written, space-separated (empty without one).</summary>
    public ReadOnlySpan<char> InstallIfText => TokenText('i', _installIfField);

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
                if (KeyAt(i) == key)
                    return ValueAt(i);
            }
            return null;
        }
    }

    public override string ToString() => $"{Name}-{Version}";

    private string? Last(char key)
    {
        for (var i = Fields.Count - 1; i >= 0; i--)
        {
            if (KeyAt(i) == key)
                return ValueAt(i);
        }
        return null;
    }

    private char KeyAt(int index) => _lazy?.KeyAt(index) ?? Fields[index].Key;

    private string ValueAt(int index) => _lazy?.ValueAt(index) ?? Fields[index].Value;

    private string[] Split(char key, int field) => field < 0 ? [] : TokenLine(key, field).Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private ReadOnlySpan<char> TokenText(char key, int field) => field < 0 ? default : TokenLine(key, field);

    /// <summary>A token field's line, or all its lines joined by a space.</summary>
    private string TokenLine(char key, int field)
    {
        if (!_repeatedTokens)
            return ValueAt(field);
        var lines = new List<string>();
        for (var i = 0; i < Fields.Count; i++)
        {
            if (KeyAt(i) == key)
                lines.Add(ValueAt(i));
        }
        return string.Join(' ', lines);
    }

    private static long ParseLong(char key, string value) =>
        long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"invalid {key}: value '{value}'");
}
