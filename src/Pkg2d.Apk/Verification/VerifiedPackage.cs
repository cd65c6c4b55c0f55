using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;

namespace Pkg2d.Apk.Verification;

/// <summary>A package whose bytes were checked against its index entry and its signature.</summary>
public sealed class VerifiedPackage(ApkPackage package, ApkIndexEntry entry, string? signedBy)
{
    /// <summary>The facts read from the file.</summary>
    public ApkPackage Package { get; } = package;

    /// <summary>The index entry the file matched.</summary>
    public ApkIndexEntry Entry { get; } = entry;

    /// <summary>The trusted key whose signature verified, or null when the package was accepted untrusted.</summary>
    public string? SignedBy { get; } = signedBy;

    public override string ToString() => Entry.ToString();
}
