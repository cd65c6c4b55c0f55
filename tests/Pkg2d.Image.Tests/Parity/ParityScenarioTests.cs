using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Parity;

/// <summary>
/// Runs each parity scenario through real apk 2.14.4 and checks the answer it gives, so the scenarios are valid
/// packages for real apk and the oracle's roots say what the scenarios are about.
/// </summary>
public sealed class ParityScenarioTests : OwningTest
{
    [ChrootFact]
    public void Accounts_are_made_by_the_scripts_and_files_are_owned_by_their_names()
    {
        var root = InstallOk(ParityScenarios.Accounts);
        var nginx = Account(root, "etc/passwd", "nginx");
        var (uid, gid) = (int.Parse(nginx[2]), int.Parse(nginx[3]));
        Assert.Equal(["nginx", "x", gid.ToString(), "nginx"], Account(root, "etc/group", "nginx"));
        Assert.Equal(["nginx", "/var/lib/nginx", "/sbin/nologin"], nginx[4..]);
        Assert.Contains("nginx", Account(root, "etc/group", "www-data")[3].Split(','));
        Assert.Equal("82", Account(root, "etc/group", "www-data")[2]);

        var tree = RootTree.Read(root);
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b111_101_000, uid, gid, ""), tree["var/lib/nginx"]);
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b111_101_000, uid, gid, ""), tree["var/log/nginx"]);
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b111_101_000, uid, gid, ""), tree["run/nginx"]);
        Assert.Equal((uid, gid), (tree["etc/nginx/extras.conf"].Uid, tree["etc/nginx/extras.conf"].Gid));
        Assert.Equal((4321, 4321), (tree["srv/unknown/data"].Uid, tree["srv/unknown/data"].Gid));
        // The database records the mapped ids, not the tar's.
        Assert.Contains($"M:{uid}:{gid}:750", Record(root, "nginx"));
        Assert.Contains($"a:{uid}:{gid}:640", Record(root, "nginx-extras"));
        Assert.Contains("a:4321:4321:644", Record(root, "nginx-extras"));
    }

    [ChrootFact]
    public void Fixed_ids_and_homes_are_as_busybox_makes_them()
    {
        var root = InstallOk(ParityScenarios.FixedIdsAndHomes);
        Assert.Equal("postgres:x:70:70::/var/lib/postgresql:/bin/sh", string.Join(':', Account(root, "etc/passwd", "postgres")));
        Assert.Equal("postgres:x:70:postgres", string.Join(':', Account(root, "etc/group", "postgres")));
        var homed = Account(root, "etc/passwd", "homed");
        Assert.Equal(["65533", "", "/home/homed", "/sbin/nologin"], homed[3..]);
        Assert.Matches(@"^homed:!:[0-9]+:0:99999:7:::$", Line(root, "etc/shadow", "homed"));

        var tree = RootTree.Read(root);
        // adduser makes the homes setgid 02755 and owned by the user; a package's own entry for an existing directory changes nothing.
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b010_111_101_101, int.Parse(homed[2]), 65533, ""), tree["home/homed"]);
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b010_111_101_101, 70, 70, ""), tree["var/lib/postgresql"]);
        Assert.Equal((0b110_000_000, 70, 70), (tree["var/lib/postgresql/PG_VERSION"].Mode, tree["var/lib/postgresql/PG_VERSION"].Uid, tree["var/lib/postgresql/PG_VERSION"].Gid));
        Assert.Contains("M:70:70:700", Record(root, "postgresql-like"));
    }

    [ChrootFact]
    public void Merged_usr_files_follow_the_links_and_the_database_keeps_the_tar_paths()
    {
        var root = InstallOk(ParityScenarios.MergedUsr);
        var tree = RootTree.Read(root);
        Assert.Equal(new RootEntry(RootEntryType.Symlink, 0b111_111_111, 0, 0, "usr/bin"), tree["bin"]);
        Assert.Equal(new RootEntry(RootEntryType.Symlink, 0b111_111_111, 0, 0, "usr/sbin"), tree["sbin"]);
        // usr-tool's `bin/` entry (0700, 5:6) is not applied through the link.
        Assert.Equal(new RootEntry(RootEntryType.Directory, 0b111_101_101, 0, 0, ""), tree["usr/bin"]);
        Assert.Equal(RootEntryType.File, tree["usr/bin/tool"].Type);
        Assert.Equal(new RootEntry(RootEntryType.Symlink, 0b111_111_111, 0, 0, "tool"), tree["usr/bin/tool-alias"]);
        Assert.Equal(RootEntryType.File, tree["usr/sbin/toold"].Type);
        Assert.DoesNotContain(tree.Entries.Keys, path => path.StartsWith("bin/", StringComparison.Ordinal));

        var record = Record(root, "usr-tool");
        Assert.Equal(["F:bin", "M:5:6:700", "R:tool", "a:0:0:755"], record.SkipWhile(l => l != "F:bin").Take(4));
        Assert.Contains("F:sbin", record);
        Assert.DoesNotContain("F:usr/bin", record);
    }

    [ChrootFact]
    public void Replaces_decides_whose_file_stays_whatever_the_install_order()
    {
        var root = InstallOk(ParityScenarios.Replaces);
        Assert.Equal("keeper\n", File.ReadAllText(Path.Combine(root, "etc/shared.conf")));
        Assert.Equal("newer\n", File.ReadAllText(Path.Combine(root, "etc/moved.conf")));
        Assert.Contains("R:shared.conf", Record(root, "keeper"));
        Assert.DoesNotContain("R:shared.conf", Record(root, "intruder"));
        Assert.Contains("R:moved.conf", Record(root, "newer"));
        Assert.DoesNotContain("R:moved.conf", Record(root, "older"));
    }

    [ChrootFact]
    public void Subpackages_of_one_origin_overwrite_each_other()
    {
        var root = InstallOk(ParityScenarios.SameOrigin);
        Assert.Equal("tool-extra\n", File.ReadAllText(Path.Combine(root, "usr/share/tool/data")));
        Assert.Contains("R:data", Record(root, "tool-extra"));
        Assert.DoesNotContain("R:data", Record(root, "tool"));
    }

    [ChrootFact]
    public void A_clash_fails_and_leaves_the_first_file()
    {
        var install = Own(ParityScenarios.Clash.Open()).InstallWith(Own(new ApkInstallOracle()));
        Assert.Equal(1, install.ExitCode);
        Assert.Contains("ERROR: clash-b-1.0-r0: trying to overwrite etc/clash.conf owned by clash-a-1.0-r0.", install.Output);
        Assert.Equal("a\n", File.ReadAllText(Path.Combine(install.Root, "etc/clash.conf")));
        // The loser is recorded, marked as having broken files.
        Assert.Contains("f:f", Record(install.Root, "clash-b"));
    }

    [ChrootFact]
    public void The_oracle_gives_the_same_root_twice_up_to_the_documented_exceptions()
    {
        var repositories = Own(ParityScenarios.Accounts.Open());
        var oracle = Own(new ApkInstallOracle());
        var first = oracle.InstallOk(repositories.World, repositories.Repositories);
        var second = oracle.InstallOk(repositories.World, repositories.Repositories);
        Assert.Empty(RootComparison.Diff(RootTree.Read(first), RootTree.Read(second), RootExceptions.Documented));
        Assert.Empty(RootComparison.DiffDatabases(first, second, ignoreShadowDays: true));
    }


    private string InstallOk(ParityScenario scenario)
    {
        var repositories = Own(scenario.Open());
        return Own(new ApkInstallOracle()).InstallOk(repositories.World, repositories.Repositories);
    }

    /// <summary>The line of an account file (passwd, group, shadow) for one name.</summary>
    private static string Line(string root, string file, string name) =>
        File.ReadAllLines(Path.Combine(root, file)).Single(line => line.StartsWith(name + ":", StringComparison.Ordinal));

    private static string[] Account(string root, string file, string name) => Line(root, file, name).Split(':');

    /// <summary>The lines of one package's record in the root's lib/apk/db/installed.</summary>
    private static IReadOnlyList<string> Record(string root, string package)
    {
        var records = File.ReadAllText(Path.Combine(root, "lib/apk/db/installed")).Split("\n\n");
        return records.Select(r => r.Split('\n')).Single(lines => lines.Contains("P:" + package));
    }
}
