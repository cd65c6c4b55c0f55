using System.Collections.Frozen;
using System.Formats.Tar;
using System.Text;
using Pkg2d.Apk.Signing;

namespace Pkg2d.Apk.Format;

/// <summary>
/// The facts of one APK v2 package, gathered in a single forward pass: its members (signature, control, data) and
/// where they lie, the control member's signatures and hashes, `.PKGINFO`, the install scripts, and the data
/// member's SHA-256. Nothing here is verified; see <see cref="Verification.PackageVerifier"/>.
/// </summary>
public sealed class ApkPackage
{
    /// <summary>The control-tar scripts apk-tools runs.</summary>
    public static readonly FrozenSet<string> ScriptNames = FrozenSet.Create(StringComparer.Ordinal,
        ".pre-install", ".post-install", ".pre-upgrade", ".post-upgrade", ".pre-deinstall", ".post-deinstall", ".trigger");

    private const int MaxControlFile = 4 * 1024 * 1024;

    private readonly byte[] _controlSha1;
    private readonly byte[] _controlSha256;
    private readonly byte[] _dataSha256;

    private ApkPackage(string source, ApkMember? signatureMember, IReadOnlyList<ApkSignature> signatures,
        ApkMember controlMember, byte[] controlSha1, byte[] controlSha256, PkgInfo pkgInfo,
        IReadOnlyDictionary<string, byte[]> scripts, ApkMember dataMember, byte[] dataSha256)
    {
        Source = source;
        SignatureMember = signatureMember;
        Signatures = signatures;
        ControlMember = controlMember;
        _controlSha1 = controlSha1;
        _controlSha256 = controlSha256;
        PkgInfo = pkgInfo;
        Scripts = scripts;
        DataMember = dataMember;
        _dataSha256 = dataSha256;
    }

    /// <summary>Names the package file in errors.</summary>
    public string Source { get; }

    /// <summary>The signature member, or null for an unsigned package (whose first member is the control member).</summary>
    public ApkMember? SignatureMember { get; }

    /// <summary>The signatures over the compressed control member, in the order stored (usually one).</summary>
    public IReadOnlyList<ApkSignature> Signatures { get; }

    /// <summary>The first signature, or null.</summary>
    public ApkSignature? Signature => Signatures.Count > 0 ? Signatures[0] : null;

    public ApkMember ControlMember { get; }

    /// <summary>SHA-1 of the compressed control member (an index's `C:Q1...`).</summary>
    public ReadOnlySpan<byte> ControlSha1 => _controlSha1;

    /// <summary>SHA-256 of the compressed control member (`C:Q2...`).</summary>
    public ReadOnlySpan<byte> ControlSha256 => _controlSha256;

    public PkgInfo PkgInfo { get; }

    /// <summary>Install scripts by name (`.post-install` ...), in ordinal order.</summary>
    public IReadOnlyDictionary<string, byte[]> Scripts { get; }

    public ApkMember DataMember { get; }

    /// <summary>SHA-256 of the compressed data member (what `.PKGINFO` `datahash` must be).</summary>
    public ReadOnlySpan<byte> DataSha256 => _dataSha256;

    /// <summary>The package file's size: the end of its last member.</summary>
    public long TotalLength => DataMember.End;

    /// <summary>`name-version` from `.PKGINFO`.</summary>
    public override string ToString() => $"{PkgInfo.PkgName}-{PkgInfo.PkgVer}";

    /// <summary>
    /// Reads a package from <paramref name="package"/>'s current position to its end. <paramref name="observeData"/>,
    /// when given, is handed the decompressed data tar during the pass (whatever it leaves unread is skipped); it runs
    /// before anything is verified, so it must not act on what it reads until verification succeeds.
    /// </summary>
    public static ApkPackage Read(Stream package, string source, Action<Stream>? observeData = null) =>
        Read(package, source, observeData, entering: null);

    /// <summary>As <see cref="Read(Stream, string, Action{Stream}?)"/>, telling <paramref name="entering"/> which part each member is as it starts.</summary>
    internal static ApkPackage Read(Stream package, string source, Action<Stream>? observeData, Action<ApkPart>? entering)
    {
        using var gzip = new GzipMemberReader(package, source, leaveOpen: true);
        var member = gzip.NextMember() ?? throw new ApkFormatException($"{source}: empty file, not an APK package");

        ApkMember? signatureMember = null;
        IReadOnlyList<ApkSignature> signatures = [];
        var tar = new TarReader(new TarHeaderGuard(new TarEndMarkerStream(member.Content, source), source));
        var first = Within(member, () => TarEntries.Next(tar, source, "tar in the first member"))
            ?? throw new ApkFormatException($"{source}: the first gzip member holds no tar entries");
        if (ApkSignature.IsSignatureEntry(first.Name))
        {
            entering?.Invoke(ApkPart.Signature);
            signatures = Within(member, () => ApkSignature.ReadAll(first, tar, source));
            member.Drain();
            signatureMember = new ApkMember(member.Offset, member.Length);
            member = gzip.NextMember() ?? throw new ApkFormatException($"{source}: no control member after the signature");
            entering?.Invoke(ApkPart.Control);
            tar = new TarReader(new TarHeaderGuard(new TarEndMarkerStream(member.Content, source), source));
            first = Within(member, () => TarEntries.Next(tar, source, "control tar"));
        }
        else
        {
            entering?.Invoke(ApkPart.Control);
        }

        var (pkgInfo, scripts) = Within(member, () => ReadControl(first, tar, source));
        member.Drain();
        var controlMember = new ApkMember(member.Offset, member.Length);
        var controlSha1 = member.Sha1.ToArray();
        var controlSha256 = member.Sha256.ToArray();

        var data = gzip.NextMember() ?? throw new ApkFormatException($"{source}: no data member after the control member");
        entering?.Invoke(ApkPart.Data);
        if (observeData is not null)
            Within(data, () => { observeData(data.Content); return 0; });
        data.Drain();
        var dataMember = new ApkMember(data.Offset, data.Length);
        var dataSha256 = data.Sha256.ToArray();

        if (gzip.NextMember() is { } extra)
            throw new ApkFormatException($"{source}: unexpected gzip member {extra.Index} at offset {extra.Offset} after the data member");

        return new ApkPackage(source, signatureMember, signatures, controlMember, controlSha1, controlSha256,
            pkgInfo, scripts, dataMember, dataSha256);
    }

    /// <summary>
    /// Runs <paramref name="read"/> over a member's content. When it finds invalid content, corrupt compressed bytes
    /// are the likelier root cause: reading the member to its end reports them (as a GzipFormatException) instead.
    /// </summary>
    private static T Within<T>(GzipMember member, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (ApkFormatException e) when (e is not GzipFormatException)
        {
            member.Drain();
            throw;
        }
    }

    private static (PkgInfo, IReadOnlyDictionary<string, byte[]>) ReadControl(TarEntry? first, TarReader tar, string source)
    {
        string? pkgInfoText = null;
        var scripts = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        for (var entry = first; entry is not null; entry = TarEntries.Next(tar, source, "control tar"))
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                continue;
            var name = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
            if (name != ".PKGINFO" && !ScriptNames.Contains(name))
                continue;
            var content = TarEntries.ReadContent(entry, source, MaxControlFile);
            if (name == ".PKGINFO")
                pkgInfoText = Encoding.UTF8.GetString(content);
            else
                scripts[name] = content;
        }
        if (pkgInfoText is null)
            throw new ApkFormatException($"{source}: the control member has no .PKGINFO");
        return (PkgInfo.Parse(pkgInfoText, source), scripts);
    }
}

/// <summary>The three parts of a package, one gzip member each.</summary>
internal enum ApkPart
{
    Signature,
    Control,
    Data,
}
