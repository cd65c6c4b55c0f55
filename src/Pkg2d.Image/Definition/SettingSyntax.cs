using System.Globalization;
using System.Text.Json;

namespace Pkg2d.Image.Definition;

/// <summary>
/// The form of each image setting, checked the same way wherever it is written (an option, an image file, the
/// daemon's configuration). <c>field</c> names where the value came from in the error (`--user`, `images.yaml:4:11:
/// images[0].user`).
/// </summary>
public static class SettingSyntax
{
    private static readonly string[] Signals =
    [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
        "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL",
        "PWR", "SYS", "RTMIN", "RTMAX",
    ];

    /// <summary>A command: a JSON array of strings (`["wget","-q"]`), or one word (`wget`).</summary>
    public static IReadOnlyList<string> Command(string text, string field)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('['))
        {
            try
            {
                using var document = JsonDocument.Parse(trimmed);
                if (document.RootElement.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
                    return [.. document.RootElement.EnumerateArray().Select(e => e.GetString()!)];
            }
            catch (JsonException)
            {
            }
            throw new ArgumentException($"{field} '{text}' is not a JSON array of strings, e.g. [\"wget\",\"-q\"]");
        }
        if (trimmed.Length == 0 || trimmed.Any(char.IsWhiteSpace))
            throw new ArgumentException($"{field} '{text}' is neither a JSON array of strings (e.g. [\"wget\",\"-q\"]) nor one word");
        return [trimmed];
    }

    /// <summary>`KEY=VALUE` with a non-empty key (the value may be empty).</summary>
    public static KeyValuePair<string, string> Pair(string text, string field)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0)
            throw new ArgumentException($"{field} '{text}' is not KEY=VALUE");
        return Pair(text[..equals], text[(equals + 1)..], field);
    }

    /// <summary>A key and its value; the key may not be empty, hold '=' or white space.</summary>
    public static KeyValuePair<string, string> Pair(string key, string value, string field)
    {
        if (key.Length == 0 || key.Contains('=') || key.Any(char.IsWhiteSpace) || key.Contains('\0') || value.Contains('\0'))
            throw new ArgumentException($"{field} '{key}={value}': the key must be a word without '=' or white space");
        return new(key, value);
    }

    /// <summary>`PORT`, `PORT/tcp` or `PORT/udp`, PORT 1–65535; written as `PORT/tcp` when no protocol is given.</summary>
    public static string Port(string text, string field)
    {
        var slash = text.IndexOf('/');
        var number = slash < 0 ? text : text[..slash];
        var protocol = slash < 0 ? "tcp" : text[(slash + 1)..].ToLowerInvariant();
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535 || number.Length > 5)
            throw new ArgumentException($"{field} '{text}': the port must be a number from 1 to 65535");
        if (protocol is not ("tcp" or "udp"))
            throw new ArgumentException($"{field} '{text}': the protocol must be tcp or udp");
        return $"{port}/{protocol}";
    }

    /// <summary>A signal by name (`SIGINT`, `INT`, `SIGRTMIN+3`) or number (1–64); names are written as `SIGNAME`.</summary>
    public static string Signal(string text, string field)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            return number is >= 1 and <= 64 ? number.ToString(CultureInfo.InvariantCulture)
                : throw new ArgumentException($"{field} '{text}': a signal number is 1 to 64");
        var name = text.ToUpperInvariant();
        if (name.StartsWith("SIG", StringComparison.Ordinal))
            name = name[3..];
        var bare = name.Split('+', '-')[0];
        var offset = name.Length > bare.Length ? name[(bare.Length + 1)..] : null;
        var known = Signals.Contains(bare) && (offset is null
            || (bare is "RTMIN" or "RTMAX" && int.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 30));
        return known ? "SIG" + name : throw new ArgumentException($"{field} '{text}' is not a signal (e.g. SIGTERM, SIGINT, 15)");
    }

    /// <summary>An absolute path, written without repeated or trailing slashes; `.` and `..` are refused.</summary>
    public static string AbsolutePath(string text, string field)
    {
        if (!text.StartsWith('/'))
            throw new ArgumentException($"{field} '{text}' is not an absolute path");
        var parts = text.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Any(p => p is "." or "..") || text.Contains('\0'))
            throw new ArgumentException($"{field} '{text}': '.' and '..' are not allowed in the path");
        return "/" + string.Join('/', parts);
    }

    /// <summary>`NAME[:GROUP]` or `UID[:GID]` (names and numbers may be mixed); neither part empty.</summary>
    public static string User(string text, string field)
    {
        var parts = text.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0 || p.Any(char.IsWhiteSpace)))
            throw new ArgumentException($"{field} '{text}' is not NAME[:GROUP] or UID[:GID]");
        return text;
    }

    /// <summary>Permission bits written in octal (`0755`, `2775`).</summary>
    public static int Mode(string text, string field) =>
        text.Length is > 0 and <= 5 && text.All(c => c is >= '0' and <= '7') && Convert.ToInt32(text, 8) is var mode and <= 0b111_111_111_111
            ? mode
            : throw new ArgumentException($"{field} '{text}' is not an octal mode such as 0755");

    /// <summary>An account name as busybox takes it: not empty, no ':' or white space, not starting with '-'.</summary>
    public static string AccountName(string text, string field) =>
        text.Length > 0 && !text.StartsWith('-') && !text.Contains(':') && !text.Any(char.IsWhiteSpace) && !text.Contains('/')
            ? text
            : throw new ArgumentException($"{field} '{text}' is not a valid account name");

    /// <summary>A user or group id, 0 to 2^31-1.</summary>
    public static int Id(string text, string field) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id
            : throw new ArgumentException($"{field} '{text}' is not a number of 0 or more");

    /// <summary>A plain decimal number: the numeric form of a user or group.</summary>
    public static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
}
