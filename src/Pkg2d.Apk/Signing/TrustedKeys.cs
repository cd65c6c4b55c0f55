using System.Collections.Immutable;
using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Pkg2d.Apk.Signing;

/// <summary>
/// The RSA public keys that signatures are checked against, by key name (the key file's name, which is also the name
/// a signature entry carries). Keys are held as SubjectPublicKeyInfo bytes, so one instance is safe to share.
/// </summary>
public sealed class TrustedKeys
{
    private readonly ImmutableSortedDictionary<string, byte[]> _keys;

    private TrustedKeys(ImmutableSortedDictionary<string, byte[]> keys) => _keys = keys;

    public static TrustedKeys Empty { get; } = new(ImmutableSortedDictionary.Create<string, byte[]>(StringComparer.Ordinal));

    public int Count => _keys.Count;

    /// <summary>The key names, in ordinal order.</summary>
    public IEnumerable<string> Names => _keys.Keys;

    public bool Contains(string keyName) => _keys.ContainsKey(keyName);

    /// <summary>
    /// SHA-256 over every key name and key, in name order: equal for two sets that trust exactly the same keys, so a
    /// result that depended on the keys (a verified index) can be reused only while it is unchanged.
    /// </summary>
    public byte[] Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var (name, spki) in _keys)
        {
            // Length-prefixed, so no two different sets encode to the same bytes.
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, nameBytes.Length);
            hash.AppendData(length);
            hash.AppendData(nameBytes);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, spki.Length);
            hash.AppendData(length);
            hash.AppendData(spki);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// Loads every regular file (or symlink to one) of each directory as a PEM RSA public key named by its file name.
    /// When two directories hold the same name, the first one wins. A file that is not such a key is an error.
    /// </summary>
    public static TrustedKeys Load(IEnumerable<string> directories)
    {
        var keys = Empty._keys.ToBuilder();
        foreach (var directory in directories)
        {
            if (!Directory.Exists(directory))
                throw new DirectoryNotFoundException($"trusted key directory '{directory}' does not exist");
            foreach (var path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                if (!keys.ContainsKey(name))
                    keys[name] = ReadKey(path);
            }
        }
        return new TrustedKeys(keys.ToImmutable());
    }

    /// <summary>A copy that also trusts <paramref name="publicKey"/> under <paramref name="keyName"/>.</summary>
    public TrustedKeys With(string keyName, RSA publicKey) =>
        new(_keys.SetItem(keyName, publicKey.ExportSubjectPublicKeyInfo()));

    /// <summary>
    /// Checks an RSA PKCS#1 v1.5 signature over a precomputed hash. False when the key is unknown or the signature
    /// does not match.
    /// </summary>
    public bool VerifyHash(string keyName, HashAlgorithmName hashAlgorithm, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> signature)
    {
        if (!_keys.TryGetValue(keyName, out var spki))
            return false;
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (CryptographicException)
        {
            // A key file read without OpenSSL that OpenSSL then refuses verifies nothing (the error names the key).
            return false;
        }
        return rsa.VerifyHash(hash, signature, hashAlgorithm, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Checks <paramref name="signature"/> over data whose SHA-1 and SHA-256 the caller computed.</summary>
    public bool Verify(ApkSignature signature, ReadOnlySpan<byte> sha1, ReadOnlySpan<byte> sha256) =>
        VerifyHash(signature.KeyName, signature.HashAlgorithm, signature.SelectHash(sha1, sha256), signature.Value.Span);

    /// <summary>
    /// The first of <paramref name="signatures"/> that a trusted key verifies, or null with a sentence saying why
    /// none did (and the key involved, if any).
    /// </summary>
    public ApkSignature? FindSigner(IReadOnlyList<ApkSignature> signatures, ReadOnlySpan<byte> sha1, ReadOnlySpan<byte> sha256,
        out string problem, out string? keyName)
    {
        foreach (var signature in signatures)
        {
            if (Verify(signature, sha1, sha256))
            {
                problem = "";
                keyName = signature.KeyName;
                return signature;
            }
        }
        if (signatures.Count == 0)
        {
            problem = "is not signed";
            keyName = null;
        }
        else if (signatures.FirstOrDefault(s => Contains(s.KeyName)) is { } bad)
        {
            problem = $"has a signature by key {bad.KeyName} that does not verify";
            keyName = bad.KeyName;
        }
        else
        {
            keyName = signatures[0].KeyName;
            problem = $"is signed by key {string.Join(", ", signatures.Select(s => s.KeyName))}, which is not trusted";
        }
        return null;
    }

    private static byte[] ReadKey(string path)
    {
        try
        {
            var pem = File.ReadAllText(path);
            // A DER SubjectPublicKeyInfo (how Alpine ships its keys) is taken as it is: OpenSSL's decoder and encoder
            // would cost a fraction of a millisecond per key in every process, for the same bytes.
            if (PemEncoding.TryFind(pem, out var fields) && pem.AsSpan()[fields.Label] is "PUBLIC KEY"
                && Convert.FromBase64String(pem[fields.Base64Data]) is var der && IsRsaPublicKeyInfo(der))
                return der;
            // Anything else RSA.ImportFromPem takes (PKCS#1 public keys, keys in another encoding) goes through OpenSSL.
            using var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return rsa.ExportSubjectPublicKeyInfo();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or CryptographicException or FormatException)
        {
            throw new ApkFormatException($"trusted key {path}: not a readable PEM RSA public key: {e.Message}", e);
        }
    }

    /// <summary>
    /// Whether <paramref name="der"/> is exactly a DER SubjectPublicKeyInfo of an RSA key (rsaEncryption, a positive
    /// modulus and exponent), which <see cref="RSA.ImportSubjectPublicKeyInfo"/> then reads when a signature is checked.
    /// </summary>
    private static bool IsRsaPublicKeyInfo(byte[] der)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != RsaEncryption)
                return false;
            if (algorithm.HasData)
                algorithm.ReadNull();
            algorithm.ThrowIfNotEmpty();
            var key = info.ReadBitString(out var unusedBits);
            info.ThrowIfNotEmpty();
            if (unusedBits != 0)
                return false;
            var rsaKey = new AsnReader(key, AsnEncodingRules.DER);
            var numbers = rsaKey.ReadSequence();
            rsaKey.ThrowIfNotEmpty();
            var modulus = numbers.ReadInteger();
            var exponent = numbers.ReadInteger();
            numbers.ThrowIfNotEmpty();
            return modulus.Sign > 0 && exponent.Sign > 0;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private const string RsaEncryption = "1.2.840.113549.1.1.1";
}
