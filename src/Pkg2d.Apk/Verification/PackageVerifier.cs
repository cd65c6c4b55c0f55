using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;

namespace Pkg2d.Apk.Verification;

/// <summary>Checks a package file against its index entry in one forward pass.</summary>
public static class PackageVerifier
{
    /// <summary>
    /// Reads <paramref name="package"/> to its end and checks that its size is the entry's `S:`, its control member
    /// hashes to `C:`, a trusted key signed the control member, `.PKGINFO` `datahash` is the data member's SHA-256, and
    /// `.PKGINFO` names the entry's package and version. A missing or untrusted signature (or a missing datahash) is
    /// only a warning when <paramref name="allowUntrusted"/>. <paramref name="observeData"/> sees the decompressed
    /// data tar during the pass, before the checks conclude: act on it only once this returns.
    /// </summary>
    public static VerifiedPackage Verify(Stream package, ApkIndexEntry expected, TrustedKeys keys, bool allowUntrusted,
        Action<string>? warn, Action<Stream>? observeData = null)
    {
        var name = expected.ToString();
        var source = $"{expected.Repository.TrimEnd('/')}/{expected.FileName}";
        PackageVerificationException Fail(string check, string detail, Exception? inner = null) =>
            new(name, expected.Repository, check, detail, inner);

        if (expected.Size > 0 && package.CanSeek && package.Length - package.Position != expected.Size)
            throw Fail("size", $"the file has {package.Length - package.Position} bytes, the index says {expected.Size}");

        ApkPackage apk;
        ApkPart? part = null;
        try
        {
            apk = ApkPackage.Read(package, source, observeData, p => part = p);
        }
        catch (GzipFormatException e) when (e.Truncated && expected.Size > 0)
        {
            throw Fail("size", $"the file ends early, the index says {expected.Size} bytes ({e.Message})", e);
        }
        catch (GzipFormatException e) when (part is not null)
        {
            // A corrupt member cannot hash to what the signature, the index or .PKGINFO recorded for the intact one.
            throw part switch
            {
                ApkPart.Signature => Fail("signature", $"the signature member is corrupt ({e.Message})", e),
                ApkPart.Control => Fail("checksum", $"the control member is corrupt, so it cannot match C:{expected.Checksum} ({e.Message})", e),
                _ => Fail("datahash", $"the data member is corrupt ({e.Message})", e),
            };
        }
        catch (ApkFormatException e)
        {
            throw Fail("format", e.Message, e);
        }

        if (expected.Size > 0 && apk.TotalLength != expected.Size)
            throw Fail("size", $"the file has {apk.TotalLength} bytes, the index says {expected.Size}");

        if (expected.Checksum is { } checksum && !checksum.Matches(apk.ControlSha1, apk.ControlSha256))
        {
            var actual = checksum.Algorithm == System.Security.Cryptography.HashAlgorithmName.SHA1
                ? "Q1" + Convert.ToBase64String(apk.ControlSha1)
                : "Q2" + Convert.ToBase64String(apk.ControlSha256);
            throw Fail("checksum", $"the control member hashes to {actual}, the index says C:{checksum}");
        }

        var signer = keys.FindSigner(apk.Signatures, apk.ControlSha1, apk.ControlSha256, out var problem, out _);
        if (signer is null)
        {
            if (!allowUntrusted)
                throw Fail("signature", $"the package {problem}");
            warn?.Invoke($"WARNING: {source} {problem}; using it anyway because untrusted packages are allowed");
        }

        var dataHash = Convert.ToHexStringLower(apk.DataSha256);
        if (apk.PkgInfo.DataHash is not { } recorded)
        {
            if (!allowUntrusted)
                throw Fail("datahash", ".PKGINFO has no datahash, so the data member cannot be checked");
            warn?.Invoke($"WARNING: {source}: .PKGINFO has no datahash; its data member is unchecked");
        }
        else if (!string.Equals(recorded, dataHash, StringComparison.OrdinalIgnoreCase))
        {
            throw Fail("datahash", $"the data member's SHA-256 is {dataHash}, .PKGINFO says {recorded}");
        }

        if (apk.PkgInfo.PkgName != expected.Name || apk.PkgInfo.PkgVer != expected.Version)
            throw Fail("identity", $".PKGINFO names {apk}, the index names {name}");

        return new VerifiedPackage(apk, expected, signer?.KeyName);
    }
}
