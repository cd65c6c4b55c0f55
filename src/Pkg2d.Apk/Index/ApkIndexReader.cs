using System.Buffers;
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
    private const int MaxText = 256 * 1024 * 1024;

    /// <summary>The first buffer for the index text; today's largest (community) is about 15 MiB.</summary>
    private const int InitialText = 4 * 1024 * 1024;

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

        var tar = new TarReader(new TarHeaderGuard(new TarEndMarkerStream(member.Content, source), source));
        var first = TarEntries.Next(tar, source, "index tar");
        IReadOnlyList<ApkSignature> signatures = [];
        if (first is not null && ApkSignature.IsSignatureEntry(first.Name))
        {
            signatures = ApkSignature.ReadAll(first, tar, source);
            member.Drain();
            member = gzip.NextMember() ?? throw new ApkFormatException($"{source}: nothing follows the signature");
            tar = new TarReader(new TarHeaderGuard(new TarEndMarkerStream(member.Content, source), source));
            first = TarEntries.Next(tar, source, "index tar");
        }

        string? description = null;
        char[]? text = null;
        var textLength = 0;
        try
        {
            for (var entry = first; entry is not null; entry = TarEntries.Next(tar, source, "index tar"))
            {
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                    continue;
                if (entry.Name == "DESCRIPTION")
                    description = Encoding.UTF8.GetString(TarEntries.ReadContent(entry, source, MaxDescription)).Trim();
                else if (entry.Name == "APKINDEX")
                {
                    // The last APKINDEX member wins, as when the tar is extracted.
                    var previous = text;
                    text = ReadPooledText(entry, source, out textLength);
                    if (previous is not null)
                        ArrayPool<char>.Shared.Return(previous);
                }
            }
            member.Drain();
            if (gzip.NextMember() is { } extra)
                throw new ApkFormatException($"{source}: unexpected gzip member {extra.Index} at offset {extra.Offset} after the index");

            var signer = keys.FindSigner(signatures, member.Sha1, member.Sha256, out var problem, out var keyName);
            if (signer is null)
                Untrusted(source, keyName, $"{source} {problem}", allowUntrusted, warn);
            if (text is null)
                throw new ApkFormatException($"{source}: no APKINDEX entry in the index tar");

            var content = text.AsSpan(0, textLength);
            if (content.StartsWith('\uFEFF'))
                content = content[1..]; // a byte order mark, which a StreamReader would drop
            var entries = ApkIndexText.Parse(content, repository, source);
            return new ApkIndex(repository, source, description, entries, signer?.KeyName);
        }
        finally
        {
            if (text is not null)
                ArrayPool<char>.Shared.Return(text);
        }
    }

    /// <summary>
    /// The APKINDEX member decoded as UTF-8 into a pooled buffer, in chunks: the text is a few MiB, read on every index
    /// load, and only the values parsed from it need to outlive it.
    /// </summary>
    private static char[] ReadPooledText(TarEntry entry, string source, out int length)
    {
        if (entry.Length > MaxText)
            throw new ApkFormatException($"{source}: {entry.Name} is too large ({entry.Length} bytes, at most {MaxText} expected)");
        // Sized by what arrives, not by what the header claims: the header is read before the signature is checked.
        var text = ArrayPool<char>.Shared.Rent((int)Math.Min(entry.Length, InitialText) + 1);
        try
        {
            var decoder = Encoding.UTF8.GetDecoder();
            var data = entry.DataStream ?? Stream.Null;
            Span<byte> chunk = stackalloc byte[16 * 1024];
            length = 0;
            for (var remaining = entry.Length; remaining > 0;)
            {
                var read = data.Read(chunk[..(int)Math.Min(chunk.Length, remaining)]);
                if (read == 0)
                    throw new ApkFormatException($"{source}: {entry.Name} ends before its {entry.Length} bytes");
                remaining -= read;
                if (text.Length - length < read + 1)
                {
                    var larger = ArrayPool<char>.Shared.Rent(Math.Max(text.Length * 2, length + read + 1));
                    text.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<char>.Shared.Return(text);
                    text = larger;
                }
                length += decoder.GetChars(chunk[..read], text.AsSpan(length), flush: remaining == 0);
            }
            return text;
        }
        catch
        {
            ArrayPool<char>.Shared.Return(text);
            throw;
        }
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
