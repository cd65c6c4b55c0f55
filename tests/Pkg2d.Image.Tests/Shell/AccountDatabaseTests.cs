using System.Text;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>
/// Differential tests: each script runs with the real busybox in Alpine's minirootfs and with the shell emulator
/// (<see cref="AccountDatabase"/> under addgroup and adduser); passwd, group, shadow and their backups must be byte
/// for byte the same (shadow's day is the chroot's today).
/// </summary>
public sealed class AccountDatabaseTests(BusyboxAccounts busybox) : IClassFixture<BusyboxAccounts>
{
    private static readonly string QuirkyGroup = "root:x:0:\n\n# comment\nfoo\nusers:x:100:\nwww-data:x:82:a,\nq:bad\ndup:x:7:a,,u\ndup:x:8:\nnogroup:x:65533:";
    private static readonly string QuirkyPasswd = "root:x:0:0:root:/root:/bin/ash\nq:bad\nr:x:abc:0:::\nu:x:300:100::/:\na:x:301:100::/:";
    private static readonly string QuirkyShadow = "q:old:1:2\nroot:*::0:::::\nr:";

    public static TheoryData<string, string> Sequences => new()
    {
        { "nginx", "addgroup -S -g 82 www-data; addgroup -S nginx; adduser -S -D -H -h /var/lib/nginx -s /sbin/nologin -G nginx -g nginx nginx; addgroup nginx www-data" },
        { "busybox post-install", "addgroup -S klogd; adduser -S -D -H -h /dev/null -s /sbin/nologin -G klogd -g klogd klogd" },
        { "postgres", "addgroup -S -g 70 postgres; adduser -S -D -H -u 70 -G postgres -h /var/lib/postgresql -s /bin/sh -g Postgres postgres" },
        { "system user with home", "adduser -S -D -h /home/homed homed" },
        { "normal user", "adduser -D normal" },
        { "defaults", "adduser -S -D -H s1; adduser -S s2; adduser -D -H -g '' n1; adduser -D -H -G users n2; adduser -D -H -s /bin/ash n3" },
        { "repeated names", "addgroup -S a; addgroup -S a; addgroup a; adduser -S -D -H a; adduser -S -D -H a; adduser -D -H a; adduser -D -H b; adduser -D -H b; addgroup -S b" },
        { "fixed ids that collide", "addgroup -g 82 web; addgroup -S -g 100 x; addgroup -g 0 y; adduser -S -D -H -u 0 r0; adduser -D -H -u 405 g0; addgroup -g 1003 g3; adduser -D -H -u 1003 u3; adduser -D -H -u 1004 u4; adduser -S -D -H -u 1004 u5; addgroup -g 1004 g4" },
        { "own group needs a free gid", "addgroup g1; adduser -D -H u1; addgroup -g 1003 g3; adduser -D -H u2; adduser -D -H u3; adduser -D -H u4" },
        { "system ids skip used ones", "addgroup -S s1; addgroup -S s2; adduser -S -D -H -G s1 s1; adduser -S -D -H -u 101 s2; adduser -S -D -H s3" },
        { "ids up to the limits", "addgroup -g 256000 top; adduser -D -H -u 256000 top2; addgroup -S -g 5000 big; adduser -S -D -H -u 65000 big2; addgroup -g 00042 zeros" },
        { "members", "addgroup -S m; adduser -S -D -H -G m m1; adduser -S -D -H -G m m2; addgroup m1 m; addgroup m1 wheel; addgroup m1 wheel; addgroup nosuch m; addgroup m1 nosuch; adduser m2 users; addgroup -S m2 tty" },
        { "unknown primary group", "adduser -S -D -H -G nosuch x; adduser -D -H -G 100 y" },
        { "names", "addgroup 'a b'; adduser -D -H -- -x; addgroup .a; addgroup _a.-b; adduser -D -H 123; adduser -D -H Cap.s; adduser -D -H 'u@h'; adduser -D -H x:y" },
        { "long names", "addgroup " + new string('g', 255) + "; addgroup " + new string('h', 256) + "; adduser -D -H " + new string('u', 256) },
        { "long options", "adduser --system --disabled-password --no-create-home --home /x --shell /bin/false --ingroup users --uid 555 --gecos hi l1; addgroup --system --gid 777 l2" },
    };

    [ChrootTheory]
    [MemberData(nameof(Sequences))]
    public void MinirootfsFiles(string title, string script) => AssertSameAsBusybox(title, busybox.Minirootfs, script);

    [ChrootTheory]
    [MemberData(nameof(Sequences))]
    public void QuirkyFiles(string title, string script) =>
        AssertSameAsBusybox(title, new AccountFiles(AccountFiles.Text(QuirkyPasswd), AccountFiles.Text(QuirkyGroup), AccountFiles.Text(QuirkyShadow)), script);

    [ChrootFact]
    public void QuirkyLines() => AssertSameAsBusybox("quirky lines",
        new AccountFiles(AccountFiles.Text(QuirkyPasswd), AccountFiles.Text(QuirkyGroup), AccountFiles.Text(QuirkyShadow)),
        "addgroup -S q; adduser -S -D -H -G q q; adduser -S -D -H -G q r; addgroup u dup; addgroup a dup; addgroup u www-data; addgroup u foo");

    [ChrootFact]
    public void MissingFiles()
    {
        // alpine-baselayout 3.2.0's pre-install runs before any account file exists.
        AssertSameAsBusybox("nothing", new AccountFiles(null, null, null), "addgroup -S -g 42 shadow; adduser -S -D -H x; adduser -D -H y");
        var m = busybox.Minirootfs;
        AssertSameAsBusybox("no shadow", m with { Shadow = null }, "adduser -S -D -H x; adduser -D -H y");
        AssertSameAsBusybox("no group", m with { Group = null }, "adduser -D -H y; adduser -S -D -H x; addgroup z");
        AssertSameAsBusybox("no passwd", m with { Passwd = null }, "adduser -D -H -G root z; addgroup -S g; addgroup root g");
    }

    [ChrootFact]
    public void SystemRangeRunsOut()
    {
        var groups = new StringBuilder("root:x:0:\nnogroup:x:65533:\n");
        var users = new StringBuilder("root:x:0:0:root:/root:/bin/sh\n");
        for (var id = 100; id <= 999; id++)
        {
            groups.Append($"g{id}:x:{id}:\n");
            users.Append($"u{id}:x:{id}:65533::/:\n");
        }
        AssertSameAsBusybox("full", new AccountFiles(AccountFiles.Text(users.ToString()), AccountFiles.Text(groups.ToString()), null),
            "addgroup -S full; adduser -S -D -H fullu; addgroup -S -g 1500 okg; addgroup nonsys; adduser -S -D -H -u 1501 oku");
    }

    [ChrootFact]
    public void HomeDirectories()
    {
        const string script = "adduser -S -D -h /home/homed homed; adduser -D normal; adduser -S -D -h /var/empty e; adduser -S -D -H -h /home/none none";
        var root = AssertSameAsBusybox("homes", busybox.Minirootfs, script);
        foreach (var home in new[] { "home/homed", "home/normal", "var/empty" })
        {
            var node = root[home]!;
            Assert.Equal(busybox.Stat("/" + home), $"{Convert.ToString(node.Mode, 8)} {node.Uid} {node.Gid}");
        }
        Assert.Null(root["home/none"]);
        Assert.Equal((100, 65533), (root["home/homed"]!.Uid, root["home/homed"]!.Gid));
        Assert.Equal((1000, 1000), (root["home/normal"]!.Uid, root["home/normal"]!.Gid));
    }

    [Fact]
    public void OutcomesNameBusyboxsRefusals()
    {
        var accounts = AccountDatabase.Parse(AccountFiles.Text("root:x:0:0:root:/root:/bin/sh\n"), AccountFiles.Text("root:x:0:\nnogroup:x:65533:\n"), null);
        Assert.True(accounts.Apply(new AddGroup("www-data", 82, true), 1).Succeeded);
        Assert.Equal("group 'www-data' in use", accounts.Apply(new AddGroup("www-data", null, true), 1).Error);
        Assert.Equal("gid '82' in use", accounts.Apply(new AddGroup("web", 82, false), 1).Error);
        Assert.Equal("unknown user nginx", accounts.Apply(new AddToGroup("nginx", "www-data"), 1).Error);
        Assert.Equal("illegal character with code 32 at position 1", accounts.Apply(new AddGroup("a b", null, false), 1).Error);
        Assert.Equal("illegal character with code 36 at position 0", accounts.Apply(new AddGroup("$", null, false), 1).Error);
        Assert.Equal("illegal character with code 36 at position 1", accounts.Apply(new AddGroup("a$b", null, false), 1).Error);
        Assert.Equal(82, accounts.Gid("www-data"));
        Assert.Equal(0, accounts.Uid("root"));
        Assert.Null(accounts.Uid("www-data"));
        Assert.Null(accounts.Shadow);
        Assert.Null(accounts.PasswdBackup);
        Assert.Equal("root:x:0:\nnogroup:x:65533:\n", Encoding.ASCII.GetString(accounts.GroupBackup!));
        Assert.True(accounts.Apply(new AddGroup("machine$", null, false), 1).Succeeded);
        Assert.Equal(1000, accounts.Gid("machine$"));
    }

    /// <summary>Runs the script both ways and compares the files; returns the emulated root.</summary>
    private VirtualRoot AssertSameAsBusybox(string title, AccountFiles start, string script)
    {
        var lines = string.Join('\n', script.Split("; ").Select(c => c + " 2>/dev/null"));
        var (expected, expectedBackups, day) = busybox.Run(start, lines);

        var root = new VirtualRoot();
        root.Set("bin/busybox", RootNode.Generated([], 0b111_101_101));
        root.Set("bin/sh", RootNode.Symlink("/bin/busybox"));
        root.Set("usr/sbin/addgroup", RootNode.Symlink("/bin/busybox"));
        root.Set("usr/sbin/adduser", RootNode.Symlink("/bin/busybox"));
        root.Set("home", RootNode.Directory());
        root.Set("var", RootNode.Directory());
        foreach (var (name, content) in new[] { ("passwd", start.Passwd), ("group", start.Group), ("shadow", start.Shadow) })
        {
            if (content is not null)
                root.Set("etc/" + name, RootNode.Generated(content));
        }
        var host = new ShellHost(new RootFiles(root), day);
        var result = ShellInterpreter.Run(ShellParser.Parse(lines), host,
            new ShellInvocation("sh", [], new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" }));
        Assert.False(result.IsPending, $"{title}: {result.Pending}");
        var accounts = host.Accounts;

        AssertSameFile(title, "passwd", expected.Passwd, accounts.Passwd);
        AssertSameFile(title, "group", expected.Group, accounts.Group);
        AssertSameFile(title, "shadow", expected.Shadow, accounts.Shadow);
        AssertSameFile(title, "passwd-", expectedBackups.Passwd, accounts.PasswdBackup);
        AssertSameFile(title, "group-", expectedBackups.Group, accounts.GroupBackup);
        AssertSameFile(title, "shadow-", expectedBackups.Shadow, accounts.ShadowBackup);
        return root;
    }

    private static void AssertSameFile(string title, string file, byte[]? expected, byte[]? actual)
    {
        static string Show(byte[]? bytes) => bytes is null ? "(missing)" : Encoding.Latin1.GetString(bytes);
        Assert.True(Show(expected) == Show(actual), $"{title}: {file} differs\n--- busybox\n{Show(expected)}\n--- emulation\n{Show(actual)}");
    }
}
