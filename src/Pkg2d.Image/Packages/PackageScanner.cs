using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Image.Shell;
using Pkg2d.Image.TopLayer;
using Pkg2d.Oci;

namespace Pkg2d.Image.Packages;

/// <summary>
/// Learns a package's <see cref="PackageFacts"/> in one pass over its `.apk`: the package is verified against its
/// index entry (size, C:, signature, datahash) while its data tar is walked, hashed for the layer's diff_id and
/// checked to be usable as a layer as it is.
/// </summary>
public static class PackageScanner
{
    private const string BusyboxPathsDir = "etc/busybox-paths.d/";

    /// <summary>
    /// Files whose content install scripts need on nearly every image: the account databases adduser and addgroup
    /// edit, the shells add-shell edits, and (under etc/busybox-paths.d/) the applets `busybox --install` links.
    /// </summary>
    public static readonly IReadOnlySet<string> KeptPaths = new HashSet<string>(StringComparer.Ordinal) { "etc/passwd", "etc/group", "etc/shadow", "etc/shells" };

    /// <summary>A kept file larger than this is not a list a script could sensibly edit.</summary>
    private const int MaxKeptSize = 1 << 20;

    /// <summary>A busybox binary larger than this is not read for its applet table.</summary>
    private const int MaxBusyboxSize = 16 << 20;

    private static bool IsBusybox(string path) => path is "bin/busybox" or "usr/bin/busybox";

    private static bool IsKept(string path) => KeptPaths.Contains(path) || path.StartsWith(BusyboxPathsDir, StringComparison.Ordinal);

    public static PackageFacts Scan(string apkPath, ApkIndexEntry entry, TrustedKeys keys, bool allowUntrusted, Action<string>? warn)
    {
        using var file = File.OpenRead(apkPath);
        return Scan(file, entry, keys, allowUntrusted, warn);
    }

    public static PackageFacts Scan(Stream apk, ApkIndexEntry entry, TrustedKeys keys, bool allowUntrusted, Action<string>? warn)
    {
        DataWalk? walk = null;
        var verified = PackageVerifier.Verify(apk, entry, keys, allowUntrusted, warn, data => walk = DataWalk.Run(data, entry));
        // The walk ran before verification finished; only now may its findings be used.
        if (walk is null)
            throw new PackageVerificationException(entry.ToString(), entry.Repository, "format", "the package has no data member");
        walk.ThrowIfInvalid();

        var package = verified.Package;
        var info = package.PkgInfo;
        return new PackageFacts
        {
            Key = entry.Checksum?.Key ?? throw new ApkFormatException($"{entry}: the index entry has no C: checksum"),
            Name = entry.Name,
            Version = entry.Version,
            Record = InstalledDatabase.RecordFields(entry.Fields),
            DataOffset = package.DataMember.Offset,
            DataLength = package.DataMember.Length,
            LayerDigest = "sha256:" + Convert.ToHexStringLower(package.DataSha256),
            DiffId = walk.DiffId,
            DiffSize = walk.DiffSize,
            BuildDate = info.BuildDate,
            SignedBy = verified.SignedBy,
            Replaces = info.Replaces,
            ReplacesPriority = info.List("replaces_priority").Select(value =>
                int.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var priority)
                    ? priority
                    : throw new ApkFormatException($"{entry}: .PKGINFO replaces_priority '{value}' is not a number")).Cast<int?>().FirstOrDefault(),
            Triggers = info.Triggers,
            Files = walk.Files,
            KeptContents = walk.KeptContents,
            BusyboxApplets = walk.BusyboxApplets,
            Scripts = package.Scripts.Select(s => new PackageScript(s.Key, s.Value)).ToArray(),
        };
    }

    /// <summary>The walk over the decompressed data tar, collecting entries and the first reason it cannot be a layer.</summary>
    private sealed class DataWalk
    {
        private readonly HashSet<string> _symlinks = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string?> _sha1ByPath = new(StringComparer.Ordinal);

        public List<PackageFile> Files { get; } = [];
        public Dictionary<string, byte[]> KeptContents { get; } = new(StringComparer.Ordinal);

        /// <summary>The applet table of the package's busybox binary, when the package does not list its applets.</summary>
        public IReadOnlyList<string> BusyboxApplets => KeptContents.Keys.Any(k => k.StartsWith(BusyboxPathsDir, StringComparison.Ordinal)) ? [] : _busyboxApplets;

        private IReadOnlyList<string> _busyboxApplets = [];
        public string DiffId { get; private set; } = "";
        public long DiffSize { get; private set; }
        private Exception? _error;

        public static DataWalk Run(Stream data, ApkIndexEntry entry)
        {
            var walk = new DataWalk();
            using var hashing = new HashingReadStream(data, leaveOpen: true);
            try
            {
                foreach (var item in ApkDataTar.Read(hashing, entry.ToString()))
                    walk.Add(item, entry);
            }
            catch (Exception e) when (e is ApkFormatException or InvalidDataException or FormatException or EndOfStreamException)
            {
                walk._error = e;
            }
            walk.DiffId = hashing.DrainAndGetDigest().ToString();
            walk.DiffSize = hashing.BytesRead;
            return walk;
        }

        public void ThrowIfInvalid()
        {
            if (_error is not null)
                throw _error;
        }

        private void Add(ApkDataEntry item, ApkIndexEntry entry)
        {
            if (_error is not null)
                return;
            var reason = Check(item);
            if (reason is not null)
            {
                _error = new ApkFormatException($"package {entry} from {entry.Repository} cannot be a layer: data tar entry '{item.Name}' {reason}");
                return;
            }

            var type = item.Type switch
            {
                TarEntryType.Directory => PackageFileType.Directory,
                TarEntryType.SymbolicLink => PackageFileType.Symlink,
                TarEntryType.HardLink => PackageFileType.HardLink,
                _ when item.IsRegularFile => PackageFileType.File,
                _ => PackageFileType.Other,
            };
            var sha1 = item.Sha1;
            if (type == PackageFileType.File && (sha1 is null || IsKept(item.Path) || IsBusybox(item.Path)))
                sha1 = ReadContent(item, sha1);
            else if (type == PackageFileType.Symlink)
                sha1 ??= Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(item.LinkTarget ?? "")));
            else if (type == PackageFileType.HardLink)
                sha1 ??= _sha1ByPath.GetValueOrDefault(item.LinkTarget ?? "");

            if (type == PackageFileType.Symlink)
                _symlinks.Add(item.Path);
            _sha1ByPath[item.Path] = sha1;
            Files.Add(new PackageFile(item.Path, type, (int)item.Mode, item.Uid, item.Gid, sha1, item.LinkTarget, item.Size)
            {
                UserName = item.UserName,
                GroupName = item.GroupName,
            });
        }

        /// <summary>Why an entry cannot be served as part of a layer as it is, or null.</summary>
        private string? Check(ApkDataEntry item)
        {
            if (item.Name.StartsWith('/'))
                return "has an absolute path";
            var name = item.Path[(item.Path.LastIndexOf('/') + 1)..];
            if (name.StartsWith(".wh.", StringComparison.Ordinal))
                return "is named like an OCI whiteout, which would delete files of other layers";
            for (var slash = item.Path.IndexOf('/'); slash > 0; slash = item.Path.IndexOf('/', slash + 1))
            {
                if (_symlinks.Contains(item.Path[..slash]))
                    return $"lies under '{item.Path[..slash]}', a symlink of the same package, so unpacking would follow the link";
            }
            if (item.Type == TarEntryType.HardLink && !_sha1ByPath.ContainsKey(item.LinkTarget ?? ""))
                return $"is a hard link to '{item.LinkTarget}', which is not an earlier entry of the package";
            return null;
        }

        /// <summary>
        /// Hashes a file's content (old packages carry no checksums), keeps the contents scripts need, and reads a
        /// busybox binary's applet table (what `busybox --install` links, for packages that do not list it).
        /// </summary>
        private string ReadContent(ApkDataEntry item, string? known)
        {
            if (item.Content is null)
                return known ?? Convert.ToHexStringLower(SHA1.HashData([]));
            if (IsBusybox(item.Path) && item.Size <= MaxBusyboxSize)
            {
                var binary = new byte[item.Size];
                item.Content.ReadExactly(binary);
                _busyboxApplets = BusyboxAppletTable.Read(binary) ?? [];
                return known ?? Convert.ToHexStringLower(SHA1.HashData(binary));
            }
            if (!IsKept(item.Path) || item.Size > MaxKeptSize)
                return known ?? Convert.ToHexStringLower(SHA1.HashData(item.Content));
            using var buffer = new MemoryStream();
            item.Content.CopyTo(buffer);
            KeptContents[item.Path] = buffer.ToArray();
            return known ?? Convert.ToHexStringLower(SHA1.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        }
    }
}
