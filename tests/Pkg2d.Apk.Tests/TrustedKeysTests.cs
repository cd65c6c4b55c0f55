using System.Security.Cryptography;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class TrustedKeysTests
{
    [FixtureFact]
    public void Loads_every_key_file_by_its_name()
    {
        var files = Directory.GetFiles(Fixtures.KeysDir);
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        Assert.Equal(files.Length, keys.Count);
        Assert.True(keys.Contains("alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub"));
        Assert.False(keys.Contains("alpine-devel@lists.alpinelinux.org-00000000.rsa.pub"));
    }

    [FixtureFact]
    public void Keys_are_held_as_the_subject_public_key_info_openssl_reads_and_writes()
    {
        // The fingerprint (and with it every index snapshot) depends on these bytes: taking a DER key file as it is
        // must give what a round trip through OpenSSL gives.
        var keys = TrustedKeys.Load([Fixtures.KeysDir]);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var path in Directory.GetFiles(Fixtures.KeysDir).Order(StringComparer.Ordinal))
        {
            using var rsa = RSA.Create();
            rsa.ImportFromPem(File.ReadAllText(path));
            var name = System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path));
            var spki = rsa.ExportSubjectPublicKeyInfo();
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, name.Length);
            hash.AppendData(length);
            hash.AppendData(name);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, spki.Length);
            hash.AppendData(length);
            hash.AppendData(spki);
        }
        Assert.Equal(hash.GetHashAndReset(), keys.Fingerprint());
    }

    [Fact]
    public void A_pkcs1_public_key_file_is_read_too_and_verifies()
    {
        using var dir = new TempDir();
        using var rsa = TestData.TestKey();
        File.WriteAllText(Path.Combine(dir.Path, "pkcs1.rsa.pub"), rsa.ExportRSAPublicKeyPem());
        var keys = TrustedKeys.Load([dir.Path]);
        var data = "signed bytes"u8.ToArray();
        var signature = new ApkSignature("pkcs1.rsa.pub", ApkSignatureAlgorithm.RsaSha256, rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.True(keys.Verify(signature, SHA1.HashData(data), SHA256.HashData(data)));
        Assert.Equal(TrustedKeys.Empty.With("pkcs1.rsa.pub", rsa).Fingerprint(), keys.Fingerprint());
    }

    [Theory]
    [InlineData("MAA=")] // an empty SEQUENCE
    [InlineData("MA0GCSqGSIb3DQEBAQUA")] // rsaEncryption without a key
    [InlineData("MBMwCQYHKoZIzj0CAQMGADADAgEB")] // an EC algorithm identifier
    public void A_public_key_that_is_no_rsa_subject_public_key_info_is_an_error_naming_the_file(string base64)
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "odd.rsa.pub");
        File.WriteAllText(bad, $"-----BEGIN PUBLIC KEY-----\n{base64}\n-----END PUBLIC KEY-----\n");
        var e = Assert.Throws<ApkFormatException>(() => TrustedKeys.Load([dir.Path]));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Unreadable_key_file_is_an_error_naming_it()
    {
        using var dir = new TempDir();
        var bad = Path.Combine(dir.Path, "broken.rsa.pub");
        File.WriteAllText(bad, "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n");
        var e = Assert.Throws<ApkFormatException>(() => TrustedKeys.Load([dir.Path]));
        Assert.Contains(bad, e.Message);
    }

    [Theory]
    [InlineData(ApkSignatureAlgorithm.RsaSha1)]
    [InlineData(ApkSignatureAlgorithm.RsaSha256)]
    public void Verifies_pkcs1_signatures_over_a_precomputed_hash(ApkSignatureAlgorithm algorithm)
    {
        using var rsa = TestData.TestKey();
        var keys = TrustedKeys.Empty.With("test.rsa.pub", rsa);
        var data = "signed bytes"u8.ToArray();
        var (sha1, sha256) = (SHA1.HashData(data), SHA256.HashData(data));
        var hashName = algorithm == ApkSignatureAlgorithm.RsaSha1 ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        var signature = new ApkSignature("test.rsa.pub", algorithm, rsa.SignData(data, hashName, RSASignaturePadding.Pkcs1));

        Assert.Equal(1, keys.Count);
        Assert.True(keys.Verify(signature, sha1, sha256));
        Assert.False(keys.Verify(signature, SHA1.HashData("other"u8), SHA256.HashData("other"u8)));
        Assert.False(TrustedKeys.Empty.Verify(signature, sha1, sha256));
    }

    [Fact]
    public void Parses_signature_entry_names()
    {
        Assert.True(ApkSignature.TryParseEntryName(".SIGN.RSA256.k.rsa.pub", out var key, out var algorithm));
        Assert.Equal(("k.rsa.pub", ApkSignatureAlgorithm.RsaSha256), (key, algorithm));
        Assert.True(ApkSignature.TryParseEntryName(".SIGN.RSA.k.rsa.pub", out key, out algorithm));
        Assert.Equal(("k.rsa.pub", ApkSignatureAlgorithm.RsaSha1), (key, algorithm));
        Assert.False(ApkSignature.TryParseEntryName(".SIGN.DSA.k.pub", out _, out _));
        Assert.False(ApkSignature.TryParseEntryName(".PKGINFO", out _, out _));
    }
}
