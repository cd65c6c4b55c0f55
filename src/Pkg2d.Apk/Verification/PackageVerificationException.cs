namespace Pkg2d.Apk.Verification;

/// <summary>A package file that is not the one its index entry describes, or is not trusted.</summary>
public sealed class PackageVerificationException(string package, string repository, string check, string detail, Exception? inner = null)
    : ApkFormatException($"package {package} from {repository}: {check} check failed: {detail}", inner)
{
    /// <summary>`name-version` as the index names it.</summary>
    public string Package { get; } = package;

    public string Repository { get; } = repository;

    /// <summary>Which check failed: "size", "checksum", "signature", "datahash", "identity" or "format".</summary>
    public string Check { get; } = check;
}
