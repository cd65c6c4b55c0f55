namespace Pkg2d.Apk.Index;

/// <summary>One repository's APKINDEX: its package records and who vouched for them.</summary>
public sealed class ApkIndex(string repository, string source, string? description, IReadOnlyList<ApkIndexEntry> entries, string? signedBy)
{
    /// <summary>The folder the index describes (`&lt;base&gt;/&lt;arch&gt;`); package files live there.</summary>
    public string Repository { get; } = repository;

    /// <summary>The file or URL the index was read from.</summary>
    public string Source { get; } = source;

    /// <summary>The DESCRIPTION entry (e.g. `v3.16.3-...`), or null.</summary>
    public string? Description { get; } = description;

    public IReadOnlyList<ApkIndexEntry> Entries { get; } = entries;

    /// <summary>The name of the trusted key whose signature verified, or null when the index was accepted untrusted.</summary>
    public string? SignedBy { get; } = signedBy;
}
