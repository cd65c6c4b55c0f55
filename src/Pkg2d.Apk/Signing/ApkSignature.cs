using System.Formats.Tar;
using System.Security.Cryptography;

namespace Pkg2d.Apk.Signing;

/// <summary>How an APK v2 signature was made: RSA PKCS#1 v1.5 over a SHA-1 or SHA-256 hash.</summary>
public enum ApkSignatureAlgorithm
{
    /// <summary>`.SIGN.RSA.&lt;key&gt;`</summary>
    RsaSha1,

    /// <summary>`.SIGN.RSA256.&lt;key&gt;`</summary>
    RsaSha256,
}

/// <summary>One `.SIGN.*` entry of a signature tar: which key signed, how, and the signature bytes.</summary>
public sealed class ApkSignature(string keyName, ApkSignatureAlgorithm algorithm, byte[] value)
{
    private const string Prefix = ".SIGN.";
    private const int MaxSignature = 64 * 1024;

    /// <summary>The key's file name, e.g. `alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub`.</summary>
    public string KeyName { get; } = keyName;

    public ApkSignatureAlgorithm Algorithm { get; } = algorithm;

    public ReadOnlyMemory<byte> Value { get; } = value;

    public HashAlgorithmName HashAlgorithm =>
        Algorithm == ApkSignatureAlgorithm.RsaSha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;

    /// <summary>The tar entry name this signature is stored under.</summary>
    public string EntryName => (Algorithm == ApkSignatureAlgorithm.RsaSha1 ? ".SIGN.RSA." : ".SIGN.RSA256.") + KeyName;

    /// <summary>Of the two hashes of the signed bytes, the one this signature is over.</summary>
    public ReadOnlySpan<byte> SelectHash(ReadOnlySpan<byte> sha1, ReadOnlySpan<byte> sha256) =>
        Algorithm == ApkSignatureAlgorithm.RsaSha1 ? sha1 : sha256;

    public override string ToString() => EntryName;

    /// <summary>True for any `.SIGN.` entry name, including kinds this reader does not support.</summary>
    public static bool IsSignatureEntry(string entryName) => entryName.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Parses `.SIGN.RSA.&lt;key&gt;` and `.SIGN.RSA256.&lt;key&gt;`; false for other names.</summary>
    public static bool TryParseEntryName(string entryName, out string keyName, out ApkSignatureAlgorithm algorithm)
    {
        (keyName, algorithm) = entryName switch
        {
            _ when entryName.StartsWith(".SIGN.RSA256.", StringComparison.Ordinal) => (entryName[".SIGN.RSA256.".Length..], ApkSignatureAlgorithm.RsaSha256),
            _ when entryName.StartsWith(".SIGN.RSA.", StringComparison.Ordinal) => (entryName[".SIGN.RSA.".Length..], ApkSignatureAlgorithm.RsaSha1),
            _ => ("", default),
        };
        return keyName.Length > 0;
    }

    /// <summary>
    /// Reads the signatures of a signature tar, starting with <paramref name="first"/> (already read by the caller to
    /// recognise the member). Unsupported `.SIGN.` kinds are skipped.
    /// </summary>
    internal static List<ApkSignature> ReadAll(TarEntry first, TarReader reader, string source)
    {
        var signatures = new List<ApkSignature>();
        for (var entry = first; entry is not null; entry = Format.TarEntries.Next(reader, source, "signature tar"))
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                || !TryParseEntryName(entry.Name, out var keyName, out var algorithm))
                continue;
            signatures.Add(new ApkSignature(keyName, algorithm, Format.TarEntries.ReadContent(entry, source, MaxSignature)));
        }
        return signatures;
    }
}
