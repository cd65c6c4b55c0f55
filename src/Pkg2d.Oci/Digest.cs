using System.Buffers;
using System.Security.Cryptography;

namespace Pkg2d.Oci;

/// <summary>
/// A content digest, always <c>sha256:&lt;64 lowercase hex&gt;</c>: the only algorithm this project writes, and the
/// one every consumer accepts. Parsing rejects other algorithms and non-canonical hex so that one blob has one name.
/// </summary>
public readonly record struct Digest
{
    public const string Algorithm = "sha256";
    private const string Prefix = "sha256:";
    private const int HexLength = 64;

    private readonly string? _hex;

    private Digest(string hex) => _hex = hex;

    /// <summary>The 64 lowercase hex characters (the file name under blobs/sha256/).</summary>
    public string Hex => _hex ?? throw new InvalidOperationException("default(Digest) has no value");

    public override string ToString() => Prefix + Hex;

    public static Digest Parse(string value) =>
        TryParse(value, out var digest)
            ? digest
            : throw new FormatException($"'{value}' is not a digest of the form sha256:<64 lowercase hex digits>");

    public static bool TryParse(string? value, out Digest digest)
    {
        digest = default;
        if (value is null || value.Length != Prefix.Length + HexLength || !value.StartsWith(Prefix, StringComparison.Ordinal))
            return false;
        var hex = value.AsSpan(Prefix.Length);
        if (hex.ContainsAnyExcept(LowerHex))
            return false;
        digest = new Digest(hex.ToString());
        return true;
    }

    /// <summary>A digest from its 64 hex characters (as found in a blobs/sha256/ file name).</summary>
    public static Digest FromHex(string hex) => Parse(Prefix + hex);

    /// <summary>A digest from a raw 32-byte SHA-256 hash.</summary>
    public static Digest FromHash(ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != SHA256.HashSizeInBytes)
            throw new ArgumentException($"a SHA-256 hash has {SHA256.HashSizeInBytes} bytes, not {sha256.Length}", nameof(sha256));
        return new Digest(Convert.ToHexStringLower(sha256));
    }

    public static Digest FromBytes(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(data, hash);
        return FromHash(hash);
    }

    /// <summary>Hashes a stream to its end (from its current position).</summary>
    public static Digest FromStream(Stream stream)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(stream, hash);
        return FromHash(hash);
    }

    public static async ValueTask<Digest> FromStreamAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        await SHA256.HashDataAsync(stream, hash, cancellationToken).ConfigureAwait(false);
        return FromHash(hash);
    }

    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");
}
