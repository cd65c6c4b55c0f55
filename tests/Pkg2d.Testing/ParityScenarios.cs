namespace Pkg2d.Testing;

/// <summary>
/// A set of synthetic packages and the world to install from them, for comparing pkg2d's image with what real apk
/// makes. <see cref="NeedsMinirootfs"/>: the packages run scripts, so the world also takes the minirootfs's base world
/// (busybox for /bin/sh, alpine-baselayout for etc/passwd and etc/group) from a <see cref="MinirootfsRepository"/>.
/// </summary>
public sealed record ParityScenario(string Name, IReadOnlyList<SyntheticPackage> Packages, IReadOnlyList<string> World, bool NeedsMinirootfs = false)
{
    /// <summary>Writes the scenario's repositories; the caller disposes them.</summary>
    public ParityRepositories Open() => new(this);

    public override string ToString() => Name;
}

/// <summary>The written repositories of a <see cref="ParityScenario"/> and the full world to install from them.</summary>
public sealed class ParityRepositories : IDisposable
{
    internal ParityRepositories(ParityScenario scenario)
    {
        Synthetic = new SyntheticRepository();
        try
        {
            Synthetic.Add([.. scenario.Packages]).Write();
            Minirootfs = scenario.NeedsMinirootfs ? new MinirootfsRepository() : null;
        }
        catch
        {
            Synthetic.Dispose();
            throw;
        }
        World = [.. Minirootfs?.World ?? [], .. scenario.World];
    }

    public SyntheticRepository Synthetic { get; }

    public MinirootfsRepository? Minirootfs { get; }

    /// <summary>The scenario's world, after the minirootfs's base world when it needs one.</summary>
    public IReadOnlyList<string> World { get; }

    /// <summary>Every repository, the minirootfs first, as <see cref="ApkInstallOracle.Install"/> takes them.</summary>
    public OracleRepository[] Repositories => Minirootfs is null ? [Synthetic] : [Minirootfs, Synthetic];

    public OracleInstall InstallWith(IInstallOracle oracle) => oracle.Install(World, Repositories);

    public void Dispose()
    {
        Minirootfs?.Dispose();
        Synthetic.Dispose();
    }
}

/// <summary>The parity scenarios: each one a behaviour of real apk that an image has to reproduce.</summary>
public static class ParityScenarios
{
    private const string Version = "1.0-r0";

    // Account scripts need alpine-baselayout's etc/passwd and etc/group in place, as real packages that make
    // accounts get them (apk installs dependencies first).
    private static readonly List<string> AccountDepends = ["alpine-baselayout", "busybox"];

    /// <summary>
    /// Accounts made by scripts and files owned by their names: `nginx` (pre-install as Alpine's nginx has it) owns
    /// var/lib/nginx and var/log/nginx by name while the tar's numbers are 1234; its post-install makes /run/nginx.
    /// `nginx-extras` ships a file owned by `nginx` (made by the other package's script) and one owned by an
    /// unknown name (`nobody123`, 4321:4321), which keeps the tar's numbers.
    /// </summary>
    public static ParityScenario Accounts { get; } = new("accounts",
    [
        new SyntheticPackage("nginx", Version)
        {
            Depends = [.. AccountDepends],
            Scripts =
            {
                [".pre-install"] = """
                    #!/bin/sh
                    addgroup -S -g 82 www-data 2>/dev/null
                    addgroup -S nginx 2>/dev/null
                    adduser -S -D -H -h /var/lib/nginx -s /sbin/nologin -G nginx -g nginx nginx 2>/dev/null
                    addgroup nginx www-data 2>/dev/null
                    exit 0

                    """,
                [".post-install"] = "#!/bin/sh\ninstall -d -o nginx -g nginx -m 750 /run/nginx\n",
            },
            Files =
            [
                SyntheticFile.Directory("etc"),
                SyntheticFile.Directory("etc/nginx"),
                SyntheticFile.Text("etc/nginx/nginx.conf", "user nginx;\n"),
                SyntheticFile.Directory("var"),
                SyntheticFile.Directory("var/lib"),
                Owned(SyntheticFile.Directory("var/lib/nginx", 0b111_101_000), "nginx", 1234),
                SyntheticFile.Directory("var/log"),
                Owned(SyntheticFile.Directory("var/log/nginx", 0b111_101_000), "nginx", 1234),
            ],
        },
        new SyntheticPackage("nginx-extras", Version)
        {
            Depends = ["nginx"],
            Files =
            [
                SyntheticFile.Directory("etc"),
                SyntheticFile.Directory("etc/nginx"),
                Owned(SyntheticFile.Text("etc/nginx/extras.conf", "gzip on;\n", 0b110_100_000), "nginx", 999),
                SyntheticFile.Directory("srv"),
                SyntheticFile.Directory("srv/unknown"),
                Owned(SyntheticFile.Text("srv/unknown/data", "data\n"), "nobody123", 4321),
            ],
        },
    ], ["nginx-extras"], NeedsMinirootfs: true);

    /// <summary>
    /// A fixed-id account (`-u 70`, group `-g 70`) whose home adduser creates before the package's own entry for it,
    /// and a system account whose home adduser creates (no `-H`).
    /// </summary>
    public static ParityScenario FixedIdsAndHomes { get; } = new("fixed-ids-and-homes",
    [
        new SyntheticPackage("postgresql-like", Version)
        {
            Depends = [.. AccountDepends],
            Scripts =
            {
                [".pre-install"] = """
                    #!/bin/sh
                    addgroup -S -g 70 postgres 2>/dev/null
                    adduser -S -D -u 70 -G postgres -h /var/lib/postgresql -s /bin/sh postgres 2>/dev/null
                    exit 0

                    """,
            },
            Files =
            [
                SyntheticFile.Directory("var"),
                SyntheticFile.Directory("var/lib"),
                Owned(SyntheticFile.Directory("var/lib/postgresql", 0b111_000_000), "postgres", 70),
                Owned(SyntheticFile.Text("var/lib/postgresql/PG_VERSION", "16\n", 0b110_000_000), "postgres", 70),
            ],
        },
        new SyntheticPackage("homed", Version)
        {
            Depends = [.. AccountDepends],
            Scripts = { [".pre-install"] = "#!/bin/sh\nadduser -S -D -h /home/homed homed 2>/dev/null\nexit 0\n" },
            Files =
            [
                SyntheticFile.Directory("usr"),
                SyntheticFile.Directory("usr/share"),
                SyntheticFile.Directory("usr/share/homed"),
                SyntheticFile.Text("usr/share/homed/README", "homed\n"),
            ],
        },
    ], ["postgresql-like", "homed"], NeedsMinirootfs: true);

    /// <summary>
    /// Merged /usr: `usrmerge-layout` makes `bin -> usr/bin` and `sbin -> usr/sbin`; `usr-tool`, installed after it,
    /// still ships `bin/` (mode 0700, owner 5:6), `bin/tool`, a link `bin/tool-alias -> tool` and `sbin/toold`: apk
    /// follows the links, keeps them links and records the paths as the tar has them.
    /// </summary>
    public static ParityScenario MergedUsr { get; } = new("merged-usr",
    [
        new SyntheticPackage("usrmerge-layout", Version)
        {
            // apk skips unpacking a package whose size is 0.
            InstalledSize = 4096,
            Files =
            [
                SyntheticFile.Directory("usr"),
                SyntheticFile.Directory("usr/bin"),
                SyntheticFile.Directory("usr/sbin"),
                SyntheticFile.Symlink("bin", "usr/bin"),
                SyntheticFile.Symlink("sbin", "usr/sbin"),
            ],
        },
        new SyntheticPackage("usr-tool", Version)
        {
            Depends = ["usrmerge-layout"],
            Files =
            [
                SyntheticFile.Directory("bin", 0b111_000_000) with { Uid = 5, Gid = 6, UserName = "u5", GroupName = "g6" },
                SyntheticFile.Text("bin/tool", "#!/bin/sh\necho tool\n", 0b111_101_101),
                SyntheticFile.Symlink("bin/tool-alias", "tool"),
                SyntheticFile.Directory("sbin"),
                SyntheticFile.Text("sbin/toold", "#!/bin/sh\necho toold\n", 0b111_101_101),
            ],
        },
    ], ["usr-tool"]);

    /// <summary>
    /// Replaces: `keeper` replaces `intruder` but is installed first (intruder depends on it), so the lower layer's
    /// file stays and only keeper lists it; `newer` replaces `older` and is installed after it, so it takes the file.
    /// </summary>
    public static ParityScenario Replaces { get; } = new("replaces",
    [
        new SyntheticPackage("keeper", Version) { Replaces = ["intruder"], Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/shared.conf", "keeper\n")] },
        new SyntheticPackage("intruder", Version) { Depends = ["keeper"], Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/shared.conf", "intruder\n")] },
        new SyntheticPackage("older", Version) { Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/moved.conf", "older\n")] },
        new SyntheticPackage("newer", Version) { Depends = ["older"], Replaces = ["older"], Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/moved.conf", "newer\n")] },
    ], ["intruder", "newer"]);

    /// <summary>Two subpackages of one origin shipping the same path, no replaces: the later one's file wins silently.</summary>
    public static ParityScenario SameOrigin { get; } = new("same-origin",
    [
        new SyntheticPackage("tool", Version) { Origin = "tool", Files = [.. ToolData("tool\n")] },
        new SyntheticPackage("tool-extra", Version) { Origin = "tool", Depends = ["tool"], Files = [.. ToolData("tool-extra\n")] },
    ], ["tool-extra"]);

    /// <summary>Two unrelated packages shipping the same path: real apk fails (`trying to overwrite ...`), the first file stays.</summary>
    public static ParityScenario Clash { get; } = new("clash",
    [
        new SyntheticPackage("clash-a", Version) { Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/clash.conf", "a\n")] },
        new SyntheticPackage("clash-b", Version) { Depends = ["clash-a"], Files = [SyntheticFile.Directory("etc"), SyntheticFile.Text("etc/clash.conf", "b\n")] },
    ], ["clash-b"]);

    /// <summary>
    /// Directories two packages ship with other owners and modes, as apk-tools 2.14 settles them after the last
    /// post-install: the lowest uid, then gid, wins; equal owners AND their modes; a directory a script made first
    /// keeps its own; what a post-install changed on a directory apk made is undone. `dirs-b` has a trigger on
    /// `/srv/*` and `/`, which writes its arguments (apk's directories, in apk's hash order) into a file. `aaa-dotfile`
    /// ships only a dotfile and `replaces` something: apk 2.14 writes its `r:` into the next record with a directory.
    /// `zero-meta` has an installed size of 0: apk never unpacks it, so neither its directory nor its scripts count.
    /// </summary>
    public static ParityScenario SharedDirectories { get; } = new("shared-directories",
    [
        new SyntheticPackage("aaa-dotfile", Version) { InstalledSize = 4096, Replaces = ["gone"], Files = [SyntheticFile.Text(".dummy", "")] },
        new SyntheticPackage("zero-meta", Version)
        {
            InstalledSize = 0,
            Depends = [.. AccountDepends],
            Replaces = ["other"],
            Triggers = ["/srv/*"],
            Scripts = { [".pre-install"] = "#!/bin/sh\ntouch /zero-ran\n", [".trigger"] = "#!/bin/sh\ntouch /zero-triggered\n" },
            Files = [SyntheticFile.Directory("srv"), SyntheticFile.Directory("srv/zero")],
        },
        new SyntheticPackage("dirs-a", Version)
        {
            InstalledSize = 4096,
            Depends = [.. AccountDepends],
            Scripts =
            {
                [".pre-install"] = "#!/bin/sh\nmkdir -p /srv && mkdir -m 711 /srv/premade\n",
                [".post-install"] = "#!/bin/sh\nchmod 700 /srv/scripted\nchown 5:5 /srv/scripted\n",
            },
            Files =
            [
                SyntheticFile.Directory("srv"),
                Numbered(SyntheticFile.Directory("srv/low", 0b111_101_000), 1000, 1000),
                SyntheticFile.Directory("srv/and", 0b111_101_000),
                Numbered(SyntheticFile.Directory("srv/gid", 0b111_111_000), 1000, 1000),
                SyntheticFile.Directory("srv/premade", 0b111_101_101),
                SyntheticFile.Directory("srv/scripted"),
            ],
        },
        new SyntheticPackage("dirs-b", Version)
        {
            Depends = ["dirs-a"],
            Triggers = ["/srv/*", "/"],
            Scripts = { [".trigger"] = "#!/bin/sh\necho \"$@\" > /srv/trigger-args\n" },
            Files =
            [
                SyntheticFile.Directory("srv"),
                SyntheticFile.Directory("srv/low"),
                SyntheticFile.Directory("srv/and", 0b111_000_101),
                Numbered(SyntheticFile.Directory("srv/gid", 0b111_111_101), 1000, 500),
                SyntheticFile.Directory("srv/premade"),
                SyntheticFile.Directory("srv/scripted"),
                SyntheticFile.Directory("srv/only-b"),
                SyntheticFile.Text("srv/only-b/file", "b\n"),
            ],
        },
    ], ["aaa-dotfile", "zero-meta", "dirs-b"], NeedsMinirootfs: true);

    /// <summary>
    /// A tar that is not in abuild's order: 40 directories listed backwards, each with files out of order, and a file
    /// whose directory comes later. apk 2.14 writes the database in tar order; apk 3 sorts each directory's files and,
    /// once more than 32 directories were appended out of order, the directories too.
    /// </summary>
    public static ParityScenario UnsortedTar { get; } = new("unsorted-tar",
    [
        new SyntheticPackage("unsorted", Version)
        {
            Files =
            [
                SyntheticFile.Directory("opt"),
                SyntheticFile.Text("opt/zz-late", "late\n"),
                .. Enumerable.Range(0, 40).Reverse().SelectMany(i => new[]
                {
                    SyntheticFile.Directory($"opt/d{i:D2}"),
                    SyntheticFile.Text($"opt/d{i:D2}/b", "b\n"),
                    SyntheticFile.Text($"opt/d{i:D2}/A", "A\n"),
                    SyntheticFile.Text($"opt/d{i:D2}/a", "a\n"),
                }),
                SyntheticFile.Text("opt/d39/0", "0\n"),
            ],
        },
    ], ["unsorted"]);

    public static IReadOnlyList<ParityScenario> All { get; } =
        [Accounts, FixedIdsAndHomes, MergedUsr, Replaces, SameOrigin, Clash, SharedDirectories, UnsortedTar];

    private static SyntheticFile Owned(SyntheticFile file, string name, int id) =>
        file with { UserName = name, GroupName = name, Uid = id, Gid = id };

    /// <summary>An owner by numbers whose names no account has, so apk keeps the numbers.</summary>
    private static SyntheticFile Numbered(SyntheticFile file, int uid, int gid) =>
        file with { UserName = $"nouser{uid}", GroupName = $"nogroup{gid}", Uid = uid, Gid = gid };

    private static SyntheticFile[] ToolData(string content) =>
    [
        SyntheticFile.Directory("usr"),
        SyntheticFile.Directory("usr/share"),
        SyntheticFile.Directory("usr/share/tool"),
        SyntheticFile.Text("usr/share/tool/data", content),
    ];
}
