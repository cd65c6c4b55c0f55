using System.Formats.Tar;
using System.Text;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Signing;

namespace Pkg2d.Apk.Index;

/// <summary>Reads APKINDEX files, signed (`APKINDEX.tar.gz`) or plain text, and decides whether to trust them.</summary>
public static class ApkIndexReader
{
    private const int MaxDescription = 64 * 1024;

    /// <summary>Array.MaxLength-safe; real indexes are a few MiB.</summary>
    private const int MaxText = 1024 * 1024 * 1024;

    /// <summary>
    /// Reads an `APKINDEX.tar.gz`: a signature tar member, then a tar member holding DESCRIPTION and APKINDEX, whose
    /// compressed bytes the signature covers. Only the APKINDEX text is held in memory. Without a signature that a
    /// trusted key verifies this throws <see cref="ApkSignatureException"/>, unless <paramref name="allowUntrusted"/>,
    /// in which case <paramref name="warn"/> is told.
    /// </summary>
    public static ApkIndex ReadSigned(Stream apkindexTarGz, string repository, string source, TrustedKeys keys,
        bool allowUntrusted, Action<string>? warn)
    {
        using var gzip = new GzipMemberReader(apkindexTarGz, source, leaveOpen: true);
        var member = gzip.NextMember() ?? throw new ApkFormatException($"{source}: empty file, not an APKINDEX.tar.gz");

        var tar = new TarReader(new TarEndMarkerStream(member.Content, source));
        var first = TarEntries.Next(tar, source, "index tar");
        IReadOnlyList<ApkSignature> signatures = [];
        if (first is not null && ApkSignature.IsSignatureEntry(first.Name))
        {
            signatures = ApkSignature.ReadAll(first, tar, source);
            member.Drain();
            member = gzip.NextMember() ?? throw new ApkFormatException($"{source}: nothing follows the signature");
            tar = new TarReader(new TarEndMarkerStream(member.Content, source));
            first = TarEntries.Next(tar, source, "index tar");
        }

        string? description = null;
        byte[]? text = null;
        for (var entry = first; entry is not null; entry = TarEntries.Next(tar, source, "index tar"))
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                continue;
            if (entry.Name == "DESCRIPTION")
                description = Encoding.UTF8.GetString(TarEntries.ReadContent(entry, source, MaxDescription)).Trim();
            else if (entry.Name == "APKINDEX")
                text = TarEntries.ReadContent(entry, source, MaxText);
        }
        member.Drain();
        if (gzip.NextMember() is { } extra)
            throw new ApkFormatException($"{source}: unexpected gzip member {extra.Index} at offset {extra.Offset} after the index");

        var signer = keys.FindSigner(signatures, member.Sha1, member.Sha256, out var problem, out var keyName);
        if (signer is null)
            Untrusted(source, keyName, $"{source} {problem}", allowUntrusted, warn);
        if (text is null)
            throw new ApkFormatException($"{source}: no APKINDEX entry in the index tar");

        using var reader = new StreamReader(new MemoryStream(text, writable: false), Encoding.UTF8);
        return new ApkIndex(repository, source, description, ApkIndexText.Parse(reader, repository, source), signer?.KeyName);
    }

    /// <summary>
    /// Reads a plain-text APKINDEX. It carries no signature, so it is accepted only when
    /// <paramref name="allowUntrusted"/>, with a warning.
    /// </summary>
    public static ApkIndex ReadText(Stream plainApkindex, string repository, string source, bool allowUntrusted, Action<string>? warn)
    {
        Untrusted(source, null, $"{source} is a plain-text APKINDEX, which carries no signature", allowUntrusted, warn);
        using var reader = new StreamReader(plainApkindex, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true);
        return new ApkIndex(repository, source, null, ApkIndexText.Parse(reader, repository, source), null);
    }

    private static void Untrusted(string source, string? keyName, string problem, bool allowUntrusted, Action<string>? warn)
    {
        if (!allowUntrusted)
            throw new ApkSignatureException(source, keyName, $"{problem}; refusing an untrusted index (allow untrusted repositories to use it anyway)");
        warn?.Invoke($"WARNING: {problem}; using it anyway because untrusted repositories are allowed");
    }
}
