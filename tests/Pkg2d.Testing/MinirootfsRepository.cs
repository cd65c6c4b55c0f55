using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Pkg2d.Testing;

/// <summary>
/// A signed x86_64 repository of real Alpine binaries, for tests that build and run containers: the packages of the
/// minirootfs fixture (alpine-minirootfs-3.20.3-x86_64), regrouped from the rootfs's files as its
/// `lib/apk/db/installed` assigns them (same fields, files, modes, owners, install scripts and triggers) and signed
/// with the test run's key, except busybox, which is Alpine's own signed busybox-1.37.0-r14.apk copied unchanged.
/// Trust both <see cref="KeysDirs"/>. Deleted on dispose.
/// </summary>
public sealed class MinirootfsRepository : IDisposable
{
    public const string Arch = "x86_64";

    /// <summary>The busybox that replaces the rootfs's 1.36.1-r29.</summary>
    public const string BusyboxVersion = "1.37.0-r14";

    // The rootfs is read, checked and regrouped once per test run; each repository only builds and writes the packages.
    private static readonly Lazy<Contents> Regrouped = new(() => Contents.Read(Fixtures.MiniRootfs));

    private readonly SyntheticRepository _repository;

    public MinirootfsRepository()
    {
        var contents = Regrouped.Value;
        _repository = new SyntheticRepository(Arch) { Description = "alpine-minirootfs-3.20.3 regrouped" };
        try
        {
            _repository.Add([.. contents.Packages]).AddFile(BusyboxPath).Write();
        }
        catch
        {
            _repository.Dispose();
            throw;
        }
        World = contents.World;
        var versions = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["busybox"] = BusyboxVersion };
        foreach (var package in contents.Packages)
            versions.Add(package.Name, package.Version);
        Versions = versions;
    }

    /// <summary>Alpine's busybox package in the fixtures, put into the repository byte for byte.</summary>
    public static string BusyboxPath => Fixtures.Path("apk", "x86_64", $"busybox-{BusyboxVersion}.apk");

    /// <summary>The temporary folder holding everything.</summary>
    public string Root => _repository.Root;

    /// <summary>The repository base, as given to `--repository`: the index is at `Base/x86_64/APKINDEX.tar.gz`.</summary>
    public string Base => _repository.Base;

    public string ArchDir => _repository.ArchDir;

    public string IndexPath => _repository.IndexPath;

    /// <summary>The folder holding only the test key that signed the index and the regrouped packages.</summary>
    public string TestKeysDir => _repository.KeysDir;

    /// <summary>The test key's file name, `test-&lt;hex&gt;.rsa.pub`.</summary>
    public string KeyName => _repository.KeyName;

    /// <summary>The key folders to trust: the test key's and Alpine's (which signed busybox).</summary>
    public IReadOnlyList<string> KeysDirs => [TestKeysDir, Fixtures.KeysDir];

    /// <summary>The rootfs's `etc/apk/world`: what to install to get the minirootfs back.</summary>
    public IReadOnlyList<string> World { get; }

    /// <summary>Every package in the repository, name to version, in ordinal order of names.</summary>
    public IReadOnlyDictionary<string, string> Versions { get; }

    public IReadOnlyList<string> PackageNames => [.. Versions.Keys];

    /// <summary>The APKINDEX text as written, busybox's record included.</summary>
    public string IndexText => _repository.IndexText;

    public void Dispose() => _repository.Dispose();

    /// <summary>The rootfs's packages (busybox left out) and world, read once.</summary>
    private sealed record Contents(IReadOnlyList<SyntheticPackage> Packages, IReadOnlyList<string> World)
    {
        private const string InstalledDb = "lib/apk/db/installed";
        private const string ScriptsTar = "lib/apk/db/scripts.tar";
        private const string TriggersDb = "lib/apk/db/triggers";

        public static Contents Read(string rootfsTarGz)
        {
            var entries = ReadRootfs(rootfsTarGz);
            byte[] Content(string path) => entries.TryGetValue(path, out var e) && e.Content is { } c
                ? c
                : throw new InvalidDataException($"{rootfsTarGz}: no regular file {path}");

            var owners = new Owners(Encoding.UTF8.GetString(Content("etc/passwd")), Encoding.UTF8.GetString(Content("etc/group")));
            var scripts = ReadScripts(Content(ScriptsTar), $"{rootfsTarGz}:{ScriptsTar}");
            var triggers = Encoding.UTF8.GetString(Content(TriggersDb)).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .ToDictionary(words => words[0], words => words[1..]);
            var records = Encoding.UTF8.GetString(Content(InstalledDb)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(text => InstalledRecord.Parse(text, $"{rootfsTarGz}:{InstalledDb}"))
                .ToList();

            var busybox = records.SingleOrDefault(r => r.Name == "busybox")
                ?? throw new InvalidDataException($"{rootfsTarGz}: {InstalledDb} has no busybox");
            // busybox-binsh (and ssl_client's install_if) pin the rootfs's busybox exactly; the repository carries
            // busybox 1.37.0-r14 instead, so the pin becomes a plain `busybox`, which apk then resolves to it.
            var pinned = $"busybox={busybox.Version}";
            string Unpin(string dependency) => dependency == pinned ? "busybox" : dependency;

            var packages = records.Where(r => r != busybox)
                .Select(r => r.ToPackage(entries, owners, scripts, triggers, Unpin, rootfsTarGz))
                .ToList();
            var world = Encoding.UTF8.GetString(Content("etc/apk/world"))
                .Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return new Contents(packages, world);
        }

        private static Dictionary<string, RootfsEntry> ReadRootfs(string rootfsTarGz)
        {
            var entries = new Dictionary<string, RootfsEntry>(StringComparer.Ordinal);
            using var file = File.OpenRead(rootfsTarGz);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is { } entry)
            {
                var path = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..] : entry.Name;
                path = path.TrimEnd('/');
                if (path.Length == 0)
                    continue;
                byte[]? content = null;
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    content = new byte[entry.Length];
                    entry.DataStream?.ReadExactly(content);
                }
                entries[path] = new RootfsEntry(entry.EntryType, content, entry.LinkName);
            }
            return entries;
        }

        /// <summary>`scripts.tar` entries are named `P-V.C.&lt;script&gt;` (C = the installed package's checksum).</summary>
        private static Dictionary<string, byte[]> ReadScripts(byte[] scriptsTar, string source)
        {
            var scripts = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            using var tar = new TarReader(new MemoryStream(scriptsTar));
            while (tar.GetNextEntry() is { } entry)
            {
                var content = new byte[entry.Length];
                entry.DataStream?.ReadExactly(content);
                if (!scripts.TryAdd(entry.Name, content))
                    throw new InvalidDataException($"{source}: {entry.Name} appears twice");
            }
            return scripts;
        }
    }

    private sealed record RootfsEntry(TarEntryType Type, byte[]? Content, string LinkTarget);

    /// <summary>Names for owner numbers, from the rootfs's own passwd and group files (as fakeroot's tar names them).</summary>
    private sealed class Owners(string passwd, string group)
    {
        private readonly Dictionary<int, string> _users = Parse(passwd);
        private readonly Dictionary<int, string> _groups = Parse(group);

        public string User(int uid) => _users.GetValueOrDefault(uid, "");

        public string Group(int gid) => _groups.GetValueOrDefault(gid, "");

        private static Dictionary<int, string> Parse(string text) =>
            text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(':'))
                .Where(f => f.Length > 2 && int.TryParse(f[2], out _))
                .DistinctBy(f => int.Parse(f[2]))
                .ToDictionary(f => int.Parse(f[2]), f => f[0]);
    }

    /// <summary>One path a package owns: an `F:` directory or an `R:` file, with its `M:`/`a:` owner and mode and `Z:` checksum.</summary>
    private sealed class OwnedPath(string path, bool isDirectory)
    {
        public string Path { get; } = path;
        public bool IsDirectory { get; } = isDirectory;
        public (int Uid, int Gid, int Mode)? Acl { get; set; }
        public string? Checksum { get; set; }
    }

    /// <summary>One package's record in `lib/apk/db/installed`.</summary>
    private sealed class InstalledRecord
    {
        // The one file Alpine's image maker changes after installing: it locks root's empty password (CVE-2019-5021).
        // Undoing it gives back the packaged file, which must then hash to its Z: like every other file.
        private static readonly Dictionary<string, (string Made, string Packaged)> ImageMakerEdits = new(StringComparer.Ordinal)
        {
            ["etc/shadow"] = ("root:*::", "root:::"),
        };

        private readonly Dictionary<char, string> _fields = [];
        private readonly List<OwnedPath> _paths = [];
        private readonly string _source;

        private InstalledRecord(string source) => _source = source;

        public string Name => Field('P');

        public string Version => Field('V');

        public static InstalledRecord Parse(string text, string source)
        {
            var record = new InstalledRecord(source);
            var directory = "";
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (line.Length < 2 || line[1] != ':')
                    throw new InvalidDataException($"{source}: not a `X:value` line: {line}");
                var (key, value) = (line[0], line[2..]);
                switch (key)
                {
                    case 'F':
                        directory = value;
                        record._paths.Add(new OwnedPath(value, isDirectory: true));
                        break;
                    case 'R':
                        record._paths.Add(new OwnedPath(directory.Length == 0 ? value : $"{directory}/{value}", isDirectory: false));
                        break;
                    case 'M' or 'a':
                        record.Last(line).Acl = ParseAcl(value, source);
                        break;
                    case 'Z':
                        record.Last(line).Checksum = value;
                        break;
                    default:
                        if (!record._fields.TryAdd(key, value))
                            throw new InvalidDataException($"{source}: {key}: appears twice in one record");
                        break;
                }
            }
            return record;
        }

        public SyntheticPackage ToPackage(Dictionary<string, RootfsEntry> rootfs, Owners owners,
            Dictionary<string, byte[]> scripts, Dictionary<string, string[]> triggers, Func<string, string> unpin, string rootfsName)
        {
            var checksum = Field('C');
            var scriptPrefix = $"{Name}-{Version}.{checksum}";
            return new SyntheticPackage(Name, Version)
            {
                Arch = _fields.GetValueOrDefault('A'),
                Description = Field('T'),
                Url = _fields.GetValueOrDefault('U'),
                License = Field('L'),
                Origin = _fields.GetValueOrDefault('o'),
                Maintainer = _fields.GetValueOrDefault('m'),
                BuildDate = _fields.TryGetValue('t', out var t) ? long.Parse(t) : null,
                Commit = _fields.GetValueOrDefault('c'),
                Depends = List('D').Select(unpin).ToList(),
                Provides = List('p'),
                InstallIf = List('i').Select(unpin).ToList(),
                ProviderPriority = _fields.TryGetValue('k', out var k) ? int.Parse(k) : null,
                Replaces = List('r'),
                ReplacesPriority = _fields.TryGetValue('q', out var q) ? int.Parse(q) : null,
                InstalledSize = long.Parse(Field('I')),
                Files = [.. _paths.Select(p => Regroup(p, rootfs, owners, rootfsName))],
                Scripts = scripts.Where(s => s.Key.StartsWith(scriptPrefix + ".", StringComparison.Ordinal))
                    .ToDictionary(s => s.Key[scriptPrefix.Length..], s => Encoding.UTF8.GetString(s.Value)),
                Triggers = triggers.TryGetValue(checksum, out var folders) ? [.. folders] : [],
            };
        }

        /// <summary>The rootfs's copy of a path the package owns, checked against the database's `Z:`.</summary>
        private SyntheticFile Regroup(OwnedPath owned, Dictionary<string, RootfsEntry> rootfs, Owners owners, string rootfsName)
        {
            var where = $"{rootfsName}: {Name}-{Version} owns {owned.Path}";
            var entry = rootfs.GetValueOrDefault(owned.Path);
            SyntheticFile file;
            if (owned.IsDirectory)
            {
                // The image makers empty dev/ (dev/pts, dev/shm are gone); a directory is all in its F: and M: lines anyway.
                if (entry is not null && entry.Type != TarEntryType.Directory)
                    throw new InvalidDataException($"{where} as a directory, the rootfs has a {entry.Type}");
                file = SyntheticFile.Directory(owned.Path, owned.Acl?.Mode ?? 0b111_101_101);
            }
            else
            {
                if (entry is null)
                    throw new InvalidDataException($"{where}, which the rootfs does not have");
                if (owned.Checksum is null)
                    throw new InvalidDataException($"{where} with no Z: checksum");
                if (entry.Type == TarEntryType.SymbolicLink)
                {
                    Check(where, owned.Checksum, Encoding.UTF8.GetBytes(entry.LinkTarget), "link target");
                    file = SyntheticFile.Symlink(owned.Path, entry.LinkTarget) with { Mode = owned.Acl?.Mode ?? 0b111_111_111 };
                }
                else if (entry.Content is { } content)
                {
                    if (ImageMakerEdits.TryGetValue(owned.Path, out var edit) && Hash(content) != owned.Checksum)
                        content = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(content).Replace(edit.Made, edit.Packaged));
                    Check(where, owned.Checksum, content, "content");
                    file = SyntheticFile.Bytes(owned.Path, content, owned.Acl?.Mode ?? 0b110_100_100);
                }
                else
                {
                    throw new InvalidDataException($"{where}, which the rootfs has as a {entry.Type}");
                }
            }
            var (uid, gid) = owned.Acl is { } acl ? (acl.Uid, acl.Gid) : (0, 0);
            return file with { Uid = uid, Gid = gid, UserName = owners.User(uid), GroupName = owners.Group(gid) };
        }

        private static string Hash(byte[] bytes) => "Q1" + Convert.ToBase64String(SHA1.HashData(bytes));

        private static void Check(string where, string checksum, byte[] bytes, string what)
        {
            if (Hash(bytes) != checksum)
                throw new InvalidDataException($"{where} with Z:{checksum}, the rootfs's {what} hashes to {Hash(bytes)}");
        }

        private string Field(char key) => _fields.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{_source}: the record of {_fields.GetValueOrDefault('P', "?")} has no {key}:");

        private List<string> List(char key) =>
            [.. _fields.GetValueOrDefault(key, "").Split(' ', StringSplitOptions.RemoveEmptyEntries)];

        private OwnedPath Last(string line) => _paths.Count > 0
            ? _paths[^1]
            : throw new InvalidDataException($"{_source}: {line} before any F: or R: line");

        /// <summary>`uid:gid:mode` with the mode in octal.</summary>
        private static (int Uid, int Gid, int Mode) ParseAcl(string value, string source)
        {
            var parts = value.Split(':');
            if (parts.Length != 3 || !int.TryParse(parts[0], out var uid) || !int.TryParse(parts[1], out var gid))
                throw new InvalidDataException($"{source}: not a uid:gid:mode triple: {value}");
            try
            {
                return (uid, gid, Convert.ToInt32(parts[2], 8));
            }
            catch (FormatException e)
            {
                throw new InvalidDataException($"{source}: not an octal mode: {value}", e);
            }
        }
    }
}
