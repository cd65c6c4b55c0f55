using System.Security.Cryptography;

namespace Pkg2d.Apk.Index;

/// <summary>
/// An APKINDEX `C:` value: `Q1` + base64(SHA-1) or `Q2` + base64(SHA-256) of a package's compressed control member.
/// It identifies a package build exactly (two builds may share a name and version).
/// </summary>
public sealed class ApkChecksum : IEquatable<ApkChecksum>
{
    private readonly byte[] _hash;

    private ApkChecksum(HashAlgorithmName algorithm, byte[] hash, string text)
    {
        Algorithm = algorithm;
        _hash = hash;
        Text = text;
    }

    public HashAlgorithmName Algorithm { get; }

    public ReadOnlySpan<byte> Hash => _hash;

    /// <summary>The value exactly as written in the index (`Q1...`).</summary>
    public string Text { get; }

    /// <summary>A file-name-safe form (hex), used as a cache key.</summary>
    public string Key => (Algorithm == HashAlgorithmName.SHA1 ? "q1-" : "q2-") + Convert.ToHexStringLower(_hash);

    public static ApkChecksum Parse(string text) =>
        TryParse(text, out var checksum) ? checksum : throw new FormatException($"invalid package checksum '{text}'");

    public static bool TryParse(string text, out ApkChecksum checksum)
    {
        checksum = null!;
        if (text.Length < 3 || text[0] != 'Q')
            return false;
        var (algorithm, length) = text[1] switch
        {
            '1' => (HashAlgorithmName.SHA1, 20),
            '2' => (HashAlgorithmName.SHA256, 32),
            _ => (default(HashAlgorithmName), 0),
        };
        if (length == 0)
            return false;
        var hash = new byte[length];
        if (!Convert.TryFromBase64String(text[2..], hash, out var written) || written != length)
            return false;
        checksum = new ApkChecksum(algorithm, hash, text);
        return true;
    }

    /// <summary>The checksum of the same kind over a control member whose hash was computed by the caller.</summary>
    public bool Matches(ReadOnlySpan<byte> sha1, ReadOnlySpan<byte> sha256) =>
        Hash.SequenceEqual(Algorithm == HashAlgorithmName.SHA1 ? sha1 : sha256);

    public bool Equals(ApkChecksum? other) => other is not null && Algorithm == other.Algorithm && Hash.SequenceEqual(other.Hash);

    public override bool Equals(object? obj) => Equals(obj as ApkChecksum);

    public override int GetHashCode() => HashCode.Combine(Algorithm, BitConverter.ToInt32(_hash, 0));

    public override string ToString() => Text;
}
