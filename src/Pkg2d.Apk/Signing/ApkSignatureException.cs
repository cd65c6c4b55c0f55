namespace Pkg2d.Apk.Signing;

/// <summary>An index or package that is not signed by a trusted key (missing, unknown-key or bad signature).</summary>
public sealed class ApkSignatureException(string source, string? keyName, string message) : ApkFormatException(message)
{
    /// <summary>The file or URL at fault.</summary>
    public string Subject { get; } = source;

    /// <summary>The key the signature names, or null when there is no signature.</summary>
    public string? KeyName { get; } = keyName;
}
