using Pkg2d.Image.Root;
using System.Text;
using Pkg2d.Image.Install;
using Pkg2d.Image.Packages;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Install;

/// <summary>
/// <see cref="ScriptRunner"/> against a <see cref="VirtualRoot"/>: real Alpine scripts, conditionals, readlink, relative
/// paths, the script's status, and what keeps a script pending (then nothing it did stays).
/// </summary>
public sealed class ScriptRunnerTests
{
    private const int FileMode = 0b110_100_100;

    private static readonly PackageFacts Package = new()
    {
        Key = "k-demo", Name = "demo", Version = "1.0-r0", DataOffset = 0, DataLength = 1, LayerDigest = "", DiffId = "",
        DiffSize = 0, BuildDate = 1_700_000_000, Record = [new('P', "demo"), new('V', "1.0-r0")], Files = [],
    };

    /// <summary>alpine-baselayout 3.4's post-install (Alpine 3.16-era form), as busybox runs it.</summary>
    public const string BaselayoutPostInstall = """
        #!/bin/sh

        # update color_prompt.sh symlink (if exists) after we renamed color_prompt to
        # color_prompt.sh.disabled.
        case "$(readlink etc/profile.d/color_prompt.sh 2>/dev/null || true)" in
        	color_prompt) ln -sf color_prompt.sh.disabled etc/profile.d/color_prompt.sh;;
        esac

        # the /etc/group file is created after /etc/shadow. Needed to apply the group
        # properly.
        chown root:shadow etc/shadow
        [ -e etc/shadow- ] && chown root:shadow etc/shadow-

        exit 0

        """;

    /// <summary>A root with busybox as /bin/sh (and its applets chown, ln, readlink...) and the accounts of alpine-baselayout (shadow is group 42).</summary>
    private static VirtualRoot Root()
    {
        var root = new VirtualRoot();
        root.Set("bin/busybox", RootNode.Generated([], 0b111_101_101));
        foreach (var applet in new[] { "sh", "touch", "mkdir", "ln", "chown", "chmod", "readlink", "echo" })
            root.Set("bin/" + applet, RootNode.Symlink("/bin/busybox"));
        root.Set("etc/passwd", RootNode.Generated("root:x:0:0:root:/root:/bin/sh\n"u8.ToArray()));
        root.Set("etc/group", RootNode.Generated("root:x:0:root\nshadow:x:42:\n"u8.ToArray()));
        root.Set("etc/shadow", RootNode.Generated("root:*::0:::::\n"u8.ToArray(), 0b110_100_000));
        return root;
    }

    private static string? Run(VirtualRoot root, string script) =>
        new ScriptRunner(root, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), null)
            .Run(Package, new PackageScript(".post-install", Encoding.UTF8.GetBytes(script.StartsWith("#!", StringComparison.Ordinal) ? script : "#!/bin/sh\n" + script)), ["1.0-r0"]);

    [Fact]
    public void BaselayoutPostInstall_renames_the_old_prompt_link_and_gives_the_shadow_files_to_group_shadow()
    {
        var root = Root();
        root.Set("etc/profile.d/color_prompt.sh", RootNode.Symlink("color_prompt"));
        root.Set("etc/shadow-", RootNode.Generated([], 0b110_000_000));
        Assert.Null(Run(root, BaselayoutPostInstall));
        Assert.Equal("color_prompt.sh.disabled", root["etc/profile.d/color_prompt.sh"]!.LinkTarget);
        Assert.Equal(42, root["etc/shadow"]!.Gid);
        Assert.Equal(42, root["etc/shadow-"]!.Gid);

        // As the minirootfs has it: color_prompt.sh.disabled is a file, no old link, no backup of shadow.
        root = Root();
        root.Set("etc/profile.d/color_prompt.sh.disabled", RootNode.Generated([]));
        Assert.Null(Run(root, BaselayoutPostInstall));
        Assert.Null(root["etc/profile.d/color_prompt.sh"]);
        Assert.Null(root["etc/shadow-"]);
        Assert.Equal(42, root["etc/shadow"]!.Gid);

        // Some other link stays.
        root = Root();
        root.Set("etc/profile.d/color_prompt.sh", RootNode.Symlink("mine"));
        Assert.Null(Run(root, BaselayoutPostInstall));
        Assert.Equal("mine", root["etc/profile.d/color_prompt.sh"]!.LinkTarget);
    }

    [Fact]
    public void Relative_paths_are_made_at_the_root()
    {
        var root = Root();
        Assert.Null(Run(root, "#!/bin/sh\ntouch relfile\nmkdir -p var/lib/demo\nln -s ../run var/run\n"));
        Assert.Equal(NodeKind.File, root["relfile"]!.Kind);
        Assert.Equal(NodeKind.Directory, root["var/lib/demo"]!.Kind);
        Assert.Equal("../run", root["var/run"]!.LinkTarget);
    }

    [Fact]
    public void If_elif_else_take_one_branch_by_the_root_at_that_moment()
    {
        const string script = """
            #!/bin/sh
            if [ -e /etc/a ]; then
            	touch /etc/took-a
            elif [ -d /etc/b ] && [ ! -L /etc/b ]; then
            	touch /etc/took-b
            else
            	echo neither
            	touch /etc/took-else
            fi
            touch /etc/a
            [ -e /etc/a ] && touch /etc/after
            """;
        string[] Took(VirtualRoot root) => [.. root.Nodes.Keys.Where(k => k.StartsWith("etc/took-", StringComparison.Ordinal) || k == "etc/after").Order(StringComparer.Ordinal)];

        var plain = Root();
        Assert.Null(Run(plain, script));
        Assert.Equal(["etc/after", "etc/took-else"], Took(plain));

        var withB = Root();
        withB.Set("etc/b", RootNode.Directory());
        Assert.Null(Run(withB, script));
        Assert.Equal(["etc/after", "etc/took-b"], Took(withB));

        var linkedB = Root();
        linkedB.Set("etc/real-b", RootNode.Directory());
        linkedB.Set("etc/b", RootNode.Symlink("real-b"));
        Assert.Null(Run(linkedB, script));
        Assert.Equal(["etc/after", "etc/took-else"], Took(linkedB));

        var withA = Root();
        withA.Set("etc/a", RootNode.Generated([]));
        Assert.Null(Run(withA, script));
        Assert.Equal(["etc/after", "etc/took-a"], Took(withA));
    }

    [Fact]
    public void Case_runs_the_first_branch_whose_pattern_is_the_link_target()
    {
        const string script = """
            case "$(readlink /etc/l 2>/dev/null || true)" in
            	a|b) touch /ab;;
            	"") touch /empty;;
            	*) touch /other;;
            esac
            """;
        string Branch(Action<VirtualRoot> setup)
        {
            var root = Root();
            setup(root);
            Assert.Null(Run(root, script));
            return string.Join(' ', new[] { "ab", "empty", "other" }.Where(p => root[p] is not null));
        }

        Assert.Equal("ab", Branch(r => r.Set("etc/l", RootNode.Symlink("b"))));
        Assert.Equal("other", Branch(r => r.Set("etc/l", RootNode.Symlink("c"))));
        Assert.Equal("empty", Branch(r => r.Set("etc/l", RootNode.Generated([]))));
        Assert.Equal("empty", Branch(_ => { }));
        // readlink reads the last link itself, through the links before it.
        Assert.Equal("ab", Branch(r =>
        {
            r.Set("real/l", RootNode.Symlink("a"));
            r.Set("etc", RootNode.Symlink("real"));
        }));
    }

    [Fact]
    public void Exit_zero_in_a_branch_ends_the_script()
    {
        const string script = "[ -e /stop ] && exit 0\ntouch /went-on\n";
        var stop = Root();
        stop.Set("stop", RootNode.Generated([]));
        Assert.Null(Run(stop, script));
        Assert.Null(stop["went-on"]);

        var go = Root();
        Assert.Null(Run(go, script));
        Assert.NotNull(go["went-on"]);
    }

    [Theory]
    [InlineData("touch /made\n[ -e /nope ] && touch /x", 1)]
    [InlineData("touch /made\n[ -e /etc ] || touch /x\n[ -e /nope ]", 1)]
    [InlineData("touch /made\ntouch /nope/x", 1)]
    [InlineData("touch /made\n[ -e /nope ] && touch /x || exit 3", 3)]
    [InlineData("touch /made\n[ -e /nope ] && touch /x || true", 0)]
    [InlineData("touch /made\n[ -e /nope ] && touch /x\nexit 0", 0)]
    [InlineData("touch /made\n[ -e /nope ] && touch /x\necho done", 0)]
    [InlineData("touch /made\nif [ -e /nope ]; then touch /x; fi", 0)]
    [InlineData("touch /made\ncase \"$(readlink /nope)\" in x) touch /x;; esac", 0)]
    [InlineData("touch /made\n[ -e /etc ] && touch /nope/x", 1)]
    [InlineData("touch /made\n[ -e /etc ] || touch /nope/x", 0)]
    public void A_script_that_would_fail_is_pending_and_changes_nothing(string script, int status)
    {
        var root = Root();
        var reason = Run(root, script);
        if (status == 0)
        {
            Assert.Null(reason);
            Assert.NotNull(root["made"]);
            return;
        }
        Assert.StartsWith($"it exits with status {status} (line ", reason);
        Assert.EndsWith("which apk reports as a failed script", reason);
        Assert.Null(root["made"]);
    }

    [Theory]
    [InlineData("[ -c /dev/null ] && touch /x", "/dev/null is not modelled")]
    [InlineData("[ -L /proc/self ] || touch /x", "/proc/self is not modelled")]
    [InlineData("case \"$(readlink /proc/self/exe)\" in x) ;; esac", "/proc/self/exe is not modelled")]
    [InlineData("touch /made\nopenssl genrsa 2048 > /key", "'openssl' is not emulated")]
    [InlineData("touch /made\nx=$RANDOM", "$RANDOM is random")]
    [InlineData("touch /made\nwhile true; do :; done", "the script runs more than")]
    [InlineData("touch /made\nsleep 1 &", "a background job ('&') is not emulated")]
    public void What_is_not_emulated_keeps_the_script_pending_and_changes_nothing(string script, string reason)
    {
        var root = Root();
        root.Set("usr/bin/openssl", RootNode.Generated([0x7f, (byte)'E', (byte)'L', (byte)'F'], 0b111_101_101));
        Assert.Contains(reason, Run(root, script));
        Assert.Null(root["made"]);
    }

    [Fact]
    public void A_script_apk_cannot_start_is_pending()
    {
        var root = new VirtualRoot();
        Assert.Equal("its interpreter /bin/sh is not installed yet, so apk fails to run it", Run(root, "#!/bin/sh\ntouch /x\n"));
        Assert.Null(root["x"]);
        Assert.Equal("it has no '#!' line, which apk cannot run",
            new ScriptRunner(Root(), DateTimeOffset.UnixEpoch, null).Run(Package, new PackageScript(".post-install", "touch /x\n"u8.ToArray()), []));
        Assert.Equal("its interpreter '/bin/bash -e' is not busybox's sh", Run(WithBash(), "#!/bin/bash -e\ntouch /x\n"));

        static VirtualRoot WithBash()
        {
            var root = Root();
            root.Set("bin/bash", RootNode.Generated([], 0b111_101_101));
            return root;
        }
    }

    /// <summary>
    /// Every path test on every kind of path, run by the minirootfs's busybox sh in a chroot and by the emulation:
    /// the same tests hold. Also where the working directory is (apk's is the root; here `cd /` as apk does).
    /// </summary>
    [ChrootFact]
    public void Path_tests_hold_as_busybox_evaluates_them()
    {
        string[] operators = ["-e", "-f", "-d", "-L", "-h", "-x", "! -e"];
        string[] paths = ["f0644", "fx", "d0755", "d000", "dangling", "to-fx", "to-d", "loop1", "missing", "d0755/../fx", "fx/x", ".", "../.."];
        var script = new StringBuilder("#!/bin/sh\n");
        for (var o = 0; o < operators.Length; o++)
        {
            for (var p = 0; p < paths.Length; p++)
                script.Append($"[ {operators[o]} t/{paths[p]} ] && touch hits/{o}-{p}\n");
        }
        script.Append("exit 0\n");

        using var chroot = new AlpineChroot();
        var setup = "cd / && mkdir -p t hits && cd t && touch f0644 fx && chmod 644 f0644 && chmod 001 fx && mkdir d0755 d000 && chmod 000 d000"
            + " && ln -s nothere dangling && ln -s fx to-fx && ln -s d0755 to-d && ln -s loop2 loop1 && ln -s loop1 loop2";
        Tool.RunOk("chroot", chroot.Root, "/bin/sh", "-c", setup);
        File.WriteAllText(chroot.HostPath("/script.sh"), script.ToString());
        Tool.RunOk("chroot", chroot.Root, "/bin/sh", "-c", "cd / && /bin/sh /script.sh");
        var expected = Directory.GetFiles(chroot.HostPath("/hits")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

        var root = Root();
        root.Set("t/f0644", RootNode.Generated([], FileMode));
        root.Set("t/fx", RootNode.Generated([], 0b000_000_001));
        root.Set("t/d0755", RootNode.Directory());
        root.Set("t/d000", RootNode.Directory(0));
        root.Set("t/dangling", RootNode.Symlink("nothere"));
        root.Set("t/to-fx", RootNode.Symlink("fx"));
        root.Set("t/to-d", RootNode.Symlink("d0755"));
        root.Set("t/loop1", RootNode.Symlink("loop2"));
        root.Set("t/loop2", RootNode.Symlink("loop1"));
        root.Set("hits", RootNode.Directory());
        Assert.Null(Run(root, script.ToString()));
        var actual = root.Below("hits").Select(h => h["hits/".Length..]).Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual);
    }
}
