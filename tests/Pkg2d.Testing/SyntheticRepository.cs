using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Format;

namespace Pkg2d.Testing;

/// <summary>Ways a synthetic APKINDEX is made wrong on purpose.</summary>
[Flags]
public enum IndexFault
{
    None = 0,

    /// <summary>Lines that are not `X:value` in the middle of the APKINDEX text.</summary>
    GarbageLines = 1,

    /// <summary>Signed by a key that is not in the keys folder.</summary>
    UnknownKey = 2,

    /// <summary>The signature names the trusted key but does not verify.</summary>
    BadSignature = 4,
}

/// <summary>
/// A real-format, signed Alpine repository in a temporary folder: `&lt;Root&gt;/keys/test-&lt;hex&gt;.rsa.pub` and
/// `&lt;Base&gt;/&lt;arch&gt;/{APKINDEX.tar.gz, P-V.apk}`. Packages are v2 `.apk`s (signature, control and data gzip
/// members, as abuild makes them) and the index is signed the way abuild-sign does it. Deleted on dispose.
/// </summary>
public sealed class SyntheticRepository : IDisposable
{
    private static readonly DateTimeOffset BuildTime = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
    // RSA key generation takes up to seconds: one signing key and one untrusted key serve every repository of a run.
    private static readonly Lazy<(RSA Key, string Name)> Shared = new(() => NewKey());
    private static readonly Lazy<(RSA Key, string Name)> Stranger = new(() => NewKey());
    private readonly (RSA Key, string Name) _signer;
    private readonly bool _ownKey;
    private readonly List<SyntheticPackage> _packages = [];
    private readonly List<string> _realPackages = [];

    /// <param name="arch">The arch folder and the packages' default arch.</param>
    /// <param name="ownKey">Sign with a key made for this repository alone, not the one shared by the test run.</param>
    public SyntheticRepository(string arch = "x86_64", bool ownKey = false)
    {
        Arch = arch;
        _ownKey = ownKey;
        _signer = ownKey ? NewKey() : Shared.Value;
        Root = Directory.CreateTempSubdirectory("pkg2d-synthetic-").FullName;
        Directory.CreateDirectory(KeysDir);
        Directory.CreateDirectory(ArchDir);
        File.WriteAllText(System.IO.Path.Combine(KeysDir, KeyName), _signer.Key.ExportSubjectPublicKeyInfoPem() + "\n");
    }

    public string Arch { get; }

    /// <summary>The temporary folder holding everything (deleted on dispose).</summary>
    public string Root { get; }

    /// <summary>The folder of trusted public keys: holds only <see cref="KeyName"/>.</summary>
    public string KeysDir => System.IO.Path.Combine(Root, "keys");

    /// <summary>The repository base, as given to `--repo`: the index is at `Base/Arch/APKINDEX.tar.gz`.</summary>
    public string Base => System.IO.Path.Combine(Root, "repo");

    public string ArchDir => System.IO.Path.Combine(Base, Arch);

    public string IndexPath => System.IO.Path.Combine(ArchDir, "APKINDEX.tar.gz");

    /// <summary>The signing key's file name, `test-&lt;hex&gt;.rsa.pub`.</summary>
    public string KeyName => _signer.Name;

    /// <summary>The signing key (private part included).</summary>
    public RSA Key => _signer.Key;

    public IndexFault IndexFaults { get; set; }

    public string Description { get; set; } = "synthetic";

    /// <summary>Every index record written by the last <see cref="Write"/>, in order.</summary>
    public string IndexText { get; private set; } = "";

    public SyntheticRepository Add(params SyntheticPackage[] packages)
    {
        _packages.AddRange(packages);
        return this;
    }

    /// <summary>Takes every synthetic package named <paramref name="name"/> out of the next <see cref="Write"/> (a rebuild replaces it).</summary>
    public SyntheticRepository Remove(string name)
    {
        _packages.RemoveAll(p => p.Name == name);
        return this;
    }

    /// <summary>
    /// Adds real `.apk` files (signed by whoever signed them): <see cref="Write"/> copies each unchanged into the arch
    /// folder as `P-V.apk` and indexes it from its own `.PKGINFO`, control checksum and size.
    /// </summary>
    public SyntheticRepository AddFile(params string[] apkPaths)
    {
        _realPackages.AddRange(apkPaths);
        return this;
    }

    public string PathOf(SyntheticPackage package) => System.IO.Path.Combine(ArchDir, package.FileName);

    /// <summary>Writes every package added so far and the signed APKINDEX.tar.gz over them.</summary>
    public SyntheticRepository Write()
    {
        var index = new StringBuilder();
        foreach (var package in _packages)
        {
            var built = BuildPackage(package);
            var bytes = built.Bytes;
            if (package.Faults.HasFlag(PackageFault.TruncatedGzip))
                bytes = bytes[..(bytes.Length - Math.Max(8, built.DataMemberLength / 2))];
            File.WriteAllBytes(PathOf(package), bytes);
            index.Append(IndexRecord(package, built));
            index.Append('\n');
        }
        foreach (var path in _realPackages)
        {
            index.Append(CopyRealPackage(path));
            index.Append('\n');
        }
        IndexText = index.ToString();
        if (IndexFaults.HasFlag(IndexFault.GarbageLines))
            index.Insert(0, "this is not an index line\n\x01\x02 garbage\n\n");
        File.WriteAllBytes(IndexPath, BuildIndex(index.ToString()));
        return this;
    }

    /// <summary>Also writes the plain-text `APKINDEX` beside the archive (as the last <see cref="Write"/> made it).</summary>
    public string WriteTextIndex()
    {
        var path = System.IO.Path.Combine(ArchDir, "APKINDEX");
        File.WriteAllText(path, IndexText);
        return path;
    }

    public void Dispose()
    {
        if (_ownKey)
            _signer.Key.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>A built package: its bytes and what its index record states.</summary>
    public sealed record BuiltPackage(byte[] Bytes, byte[] ControlMember, long InstalledSize, int DataMemberLength);

    /// <summary>Builds one package in memory, signed with this repository's key (or as its faults say).</summary>
    public BuiltPackage BuildPackage(SyntheticPackage package)
    {
        var data = BuildDataTar(package, out var contentSize);
        var installedSize = package.InstalledSize ?? contentSize;
        var dataMember = Gzip(data);
        var datahash = Convert.ToHexStringLower(SHA256.HashData(dataMember));
        if (package.Faults.HasFlag(PackageFault.WrongDataHash))
            datahash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(datahash)));
        var controlMember = Gzip(BuildControlTar(package, installedSize, datahash));

        var signer = package.Faults.HasFlag(PackageFault.UnknownKey) ? Stranger.Value : _signer;
        var signature = signer.Key.SignData(controlMember, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (package.Faults.HasFlag(PackageFault.BadSignature))
            signature[signature.Length / 2] ^= 0x5a;
        var signatureMember = Gzip(Tar([(".SIGN.RSA256." + signer.Name, signature, 0b110_100_100)], endOfArchive: false));

        return new BuiltPackage([.. signatureMember, .. controlMember, .. dataMember], controlMember, installedSize, dataMember.Length);
    }

    /// <summary>Copies a real package into the arch folder and returns the index record abuild's `apk index` would write for it.</summary>
    private string CopyRealPackage(string path)
    {
        ApkPackage apk;
        using (var file = File.OpenRead(path))
            apk = ApkPackage.Read(file, path);
        var info = apk.PkgInfo;
        File.Copy(path, System.IO.Path.Combine(ArchDir, $"{info.PkgName}-{info.PkgVer}.apk"), overwrite: true);
        var record = new StringBuilder();
        record.Append($"C:Q1{Convert.ToBase64String(apk.ControlSha1)}\n");
        record.Append($"P:{info.PkgName}\nV:{info.PkgVer}\nA:{info.Arch ?? Arch}\nS:{apk.TotalLength}\nI:{info.Size}\n");
        foreach (var (key, field) in new[] { ('T', "pkgdesc"), ('U', "url"), ('L', "license"), ('o', "origin"),
                     ('m', "maintainer"), ('t', "builddate"), ('c', "commit"), ('k', "provider_priority") })
        {
            if (info[field] is { } value)
                record.Append($"{key}:{value}\n");
        }
        foreach (var (key, field) in new[] { ('D', "depend"), ('p', "provides"), ('i', "install_if"), ('r', "replaces") })
        {
            var items = info.List(field);
            if (items.Count > 0)
                record.Append($"{key}:{string.Join(' ', items)}\n");
        }
        if (info["replaces_priority"] is { } replacesPriority)
            record.Append($"q:{replacesPriority}\n");
        return record.ToString();
    }

    private string IndexRecord(SyntheticPackage package, BuiltPackage built)
    {
        var sha1 = SHA1.HashData(built.ControlMember);
        if (package.Faults.HasFlag(PackageFault.WrongChecksum))
            sha1 = SHA1.HashData(sha1);
        var size = built.Bytes.Length + (package.Faults.HasFlag(PackageFault.WrongSize) ? 1 : 0);
        var record = new StringBuilder();
        record.Append($"C:Q1{Convert.ToBase64String(sha1)}\n");
        record.Append($"P:{package.Name}\nV:{package.Version}\nA:{package.Arch ?? Arch}\n");
        record.Append($"S:{size}\nI:{built.InstalledSize}\nT:{package.Description}\n");
        record.Append($"U:{package.Url ?? $"https://example.invalid/{package.Name}"}\nL:{package.License}\no:{package.Origin ?? package.Name}\n");
        record.Append($"m:{package.Maintainer ?? "Test <test@example.invalid>"}\nt:{package.BuildDate ?? BuildTime.ToUnixTimeSeconds()}\n");
        if (package.Commit is { } commit)
            record.Append($"c:{commit}\n");
        if (package.ProviderPriority is { } priority)
            record.Append($"k:{priority}\n");
        if (package.Depends.Count > 0)
            record.Append($"D:{string.Join(' ', package.Depends)}\n");
        if (package.Provides.Count > 0)
            record.Append($"p:{string.Join(' ', package.Provides)}\n");
        if (package.InstallIf.Count > 0)
            record.Append($"i:{string.Join(' ', package.InstallIf)}\n");
        if (package.Replaces.Count > 0)
            record.Append($"r:{string.Join(' ', package.Replaces)}\n");
        if (package.ReplacesPriority is { } replacesPriority)
            record.Append($"q:{replacesPriority}\n");
        return record.ToString();
    }

    private byte[] BuildIndex(string apkindex)
    {
        var description = Encoding.UTF8.GetBytes(Description);
        var contents = Gzip(Tar(
            [("DESCRIPTION", description, 0b110_100_100), ("APKINDEX", Encoding.UTF8.GetBytes(apkindex), 0b110_100_100)],
            endOfArchive: true));
        var signer = IndexFaults.HasFlag(IndexFault.UnknownKey) ? Stranger.Value : _signer;
        var signature = signer.Key.SignData(contents, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (IndexFaults.HasFlag(IndexFault.BadSignature))
            signature[signature.Length / 2] ^= 0x5a;
        var signatureMember = Gzip(Tar([(".SIGN.RSA256." + signer.Name, signature, 0b110_100_100)], endOfArchive: false));
        return [.. signatureMember, .. contents];
    }

    private byte[] BuildControlTar(SyntheticPackage package, long installedSize, string datahash)
    {
        var info = new StringBuilder();
        info.Append("# Generated by abuild 3.12.0\n# using fakeroot version 1.32\n");
        info.Append($"pkgname = {package.Name}\npkgver = {package.Version}\npkgdesc = {package.Description}\n");
        info.Append($"url = {package.Url ?? $"https://example.invalid/{package.Name}"}\nbuilddate = {package.BuildDate ?? BuildTime.ToUnixTimeSeconds()}\n");
        info.Append($"packager = Test <test@example.invalid>\nsize = {installedSize}\narch = {package.Arch ?? Arch}\n");
        info.Append($"origin = {package.Origin ?? package.Name}\n");
        if (package.Commit is { } commit)
            info.Append($"commit = {commit}\n");
        if (package.Maintainer is { } maintainer)
            info.Append($"maintainer = {maintainer}\n");
        info.Append($"license = {package.License}\n");
        foreach (var replace in package.Replaces)
            info.Append($"replaces = {replace}\n");
        if (package.ReplacesPriority is { } replacesPriority)
            info.Append($"replaces_priority = {replacesPriority}\n");
        foreach (var depend in package.Depends)
            info.Append($"depend = {depend}\n");
        foreach (var provide in package.Provides)
            info.Append($"provides = {provide}\n");
        if (package.InstallIf.Count > 0)
            info.Append($"install_if = {string.Join(' ', package.InstallIf)}\n");
        if (package.ProviderPriority is { } priority)
            info.Append($"provider_priority = {priority}\n");
        if (package.Triggers.Count > 0)
            info.Append($"triggers = {string.Join(' ', package.Triggers)}\n");
        info.Append($"datahash = {datahash}\n");

        var entries = new List<(string, byte[], int)> { (".PKGINFO", Encoding.UTF8.GetBytes(info.ToString()), 0b110_100_100) };
        foreach (var (name, script) in package.Scripts.OrderBy(s => s.Key, StringComparer.Ordinal))
            entries.Add((name, Encoding.UTF8.GetBytes(script), 0b111_101_101));
        return Tar(entries, endOfArchive: false);
    }

    private static byte[] BuildDataTar(SyntheticPackage package, out long installedSize)
    {
        installedSize = 0;
        using var output = new MemoryStream();
        using (var writer = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var file in package.Files)
            {
                PaxTarEntry entry;
                if (file.IsDirectory)
                {
                    entry = new PaxTarEntry(TarEntryType.Directory, file.Path);
                }
                else if (file.LinkTarget is { } target)
                {
                    entry = new PaxTarEntry(TarEntryType.SymbolicLink, file.Path, Checksum(Encoding.UTF8.GetBytes(target)))
                    {
                        LinkName = target,
                    };
                }
                else
                {
                    var content = file.Content ?? [];
                    installedSize += content.Length;
                    entry = new PaxTarEntry(TarEntryType.RegularFile, file.Path, Checksum(content))
                    {
                        DataStream = new MemoryStream(content),
                    };
                }
                entry.Mode = (UnixFileMode)file.Mode;
                entry.ModificationTime = BuildTime;
                entry.Uid = file.Uid;
                entry.Gid = file.Gid;
                entry.UserName = file.UserName;
                entry.GroupName = file.GroupName;
                writer.WriteEntry(entry);
            }
        }
        // TarWriter ends only a non-empty archive; an empty package's data tar is still the two zero blocks.
        if (output.Length == 0)
            output.Write(new byte[1024]);
        return output.ToArray();
    }

    private static Dictionary<string, string> Checksum(byte[] content) =>
        new() { ["APK-TOOLS.checksum.SHA1"] = Convert.ToHexStringLower(SHA1.HashData(content)) };

    /// <summary>A ustar stream of plain files; abuild cuts the end-of-archive blocks off signature and control tars.</summary>
    private static byte[] Tar(IEnumerable<(string Name, byte[] Content, int Mode)> files, bool endOfArchive)
    {
        var output = new MemoryStream();
        var writer = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        foreach (var (name, content, mode) in files)
        {
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(content),
                Mode = (UnixFileMode)mode,
                ModificationTime = BuildTime,
                UserName = "root",
                GroupName = "root",
            });
        }
        var withoutEnd = output.Length;
        writer.Dispose();
        if (!endOfArchive)
            output.SetLength(withoutEnd);
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] content)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(content);
        return output.ToArray();
    }

    private static (RSA Key, string Name) NewKey()
    {
        var key = RSA.Create(2048);
        var name = $"test-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.rsa.pub";
        return (key, name);
    }
}
