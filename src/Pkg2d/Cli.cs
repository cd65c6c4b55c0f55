using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Pkg2d.Apk;
using Pkg2d.Fetch;
using Pkg2d.Oci;
using Pkg2d.Resolve;

namespace Pkg2d;

/// <summary>What every command shares: warnings, errors as one clear line and an exit status, and formatting.</summary>
internal static class Cli
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("pkg2d: cancelled");
            return 130;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"pkg2d: error: {e.Message}");
            return 1;
        }
    }

    /// <summary>Failures caused by input, repositories or the network: reported as their message, not a stack trace.</summary>
    private static bool IsUserError(Exception e) => e is SolverException or ApkFormatException or FetchException or RepositoryException
        or BlobVerificationException or ArgumentException or FormatException or IOException or UnauthorizedAccessException
        or CryptographicException or HttpRequestException or InvalidOperationException or InvalidDataException
        or System.Text.Json.JsonException;

    public static void Warn(string message) => Console.Error.WriteLine($"pkg2d: warning: {message}");

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.0 'KiB'", CultureInfo.InvariantCulture),
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.0 'MiB'", CultureInfo.InvariantCulture),
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.00 'GiB'", CultureInfo.InvariantCulture),
    };

    /// <summary>SOURCE_DATE_EPOCH, the reproducible-builds convention for a fixed creation time.</summary>
    public static DateTimeOffset? SourceDateEpoch() =>
        Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH") is { Length: > 0 } text
            ? long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : throw new FormatException($"SOURCE_DATE_EPOCH '{text}' is not a number of seconds")
            : null;
}
