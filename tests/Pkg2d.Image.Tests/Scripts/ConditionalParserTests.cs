using Pkg2d.Image.Scripts;
using static Pkg2d.Image.Tests.Scripts.Parsed;

namespace Pkg2d.Image.Tests.Scripts;

/// <summary>Relative paths, messages, path tests, `if` and `case` on a readlink, as <see cref="ScriptParser"/> reads them.</summary>
public sealed class ConditionalParserTests
{
    /// <summary>alpine-baselayout 3.6.5's post-install (and post-upgrade), as the 3.20 minirootfs has it.</summary>
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

    private static PathTest T(char op, string path, bool negated = false) => new(op, path, negated);

    private static Conditional And(Condition test, ScriptCommand command) => new(test, [command], [], true);

    private static Conditional Or(Condition test, ScriptCommand command) => new(test, [], [command], true);

    [Fact]
    public void BaselayoutPostInstall_is_a_case_on_a_readlink_a_chown_and_a_guarded_chown()
    {
        var chownShadow = new ChangeOwner(P("/etc/shadow"), "root", "shadow", false, false, false);
        Assert.Equal<ScriptCommand>(
            [
                new CaseOnLink("/etc/profile.d/color_prompt.sh",
                    [new CaseBranch(["color_prompt"], [new Symlink("color_prompt.sh.disabled", "/etc/profile.d/color_prompt.sh", true, false)])]),
                chownShadow,
                And(T('e', "/etc/shadow-"), chownShadow with { Paths = P("/etc/shadow-") }),
                new ExitScript(),
            ],
            Emulable(BaselayoutPostInstall));
    }

    [Theory]
    [InlineData("touch relfile", "/relfile")]
    [InlineData("touch ./var/log//x/", "/var/log/x")]
    [InlineData("touch ../x", "/../x")]
    public void Relative_paths_are_taken_from_the_root(string script, string path) =>
        Assert.Equal<ScriptCommand>([new Touch(P(path))], Emulable(script));

    [Fact]
    public void Relative_paths_in_every_applet()
    {
        Assert.Equal<ScriptCommand>(
            [
                new MakeDirectory(P("/var/lib/x"), 0b111_101_101, null, null, true, false),
                new ChangeMode(P("/var/lib/x"), ModeSpec.Parse("700"), false),
                new Symlink("../run", "/var/run", false, false),
            ],
            Emulable("mkdir -p var/lib/x\nchmod 700 var/lib/x\nln -s ../run var/run"));
    }

    [Theory]
    [InlineData("echo hi")]
    [InlineData("echo")]
    [InlineData("echo -n 'a b' \"c\" >&2")]
    [InlineData("busybox echo hi 2>/dev/null")]
    [InlineData("printf '%s\\n' 'a message'")]
    [InlineData("printf 'done 100%%\\n'")]
    [InlineData("printf '%b' 'x\\ty'")]
    [InlineData(":")]
    [InlineData("true")]
    public void Messages_change_nothing(string script) =>
        Assert.Equal<ScriptCommand>([new NoOp()], Emulable(script));

    [Theory]
    [InlineData("echo $HOME", "variable expansion is not emulated")]
    [InlineData("echo \"$(date)\"", "command substitution is not emulated")]
    [InlineData("echo *", "glob '*' is not emulated")]
    [InlineData("echo x > /etc/x", "redirection '>/etc/x' is not emulated")]
    [InlineData("printf '%d\\n' x", "'printf %d\\n x' is not emulated")]
    [InlineData("printf 'x %'", "'printf x %' is not emulated")]
    [InlineData("printf", "'printf' without a format is not emulated")]
    public void Messages_that_do_more_stay_pending(string script, string reason) => Assert.Equal(reason, Pending(script));

    [Theory]
    [InlineData("[ -e /p ]", 'e', false)]
    [InlineData("[ -f /p ]", 'f', false)]
    [InlineData("[ -d /p ]", 'd', false)]
    [InlineData("[ -L /p ]", 'L', false)]
    [InlineData("[ -h /p ]", 'L', false)]
    [InlineData("[ -x /p ]", 'x', false)]
    [InlineData("[ ! -e /p ]", 'e', true)]
    [InlineData("test -e p", 'e', false)]
    [InlineData("test ! -d //p", 'd', true)]
    public void Path_tests(string test, char op, bool negated) =>
        Assert.Equal<ScriptCommand>([And(T(op, "/p", negated), new Touch(P("/t")))], Emulable(test + " && touch /t"));

    [Fact]
    public void Tests_joined_by_and_or_guard_one_command()
    {
        Assert.Equal<ScriptCommand>([Or(T('d', "/a"), new MakeDirectory(P("/a"), 0b111_101_101, null, null, false, false))], Emulable("[ -d /a ] || mkdir /a"));
        // Left to right, as the shell groups `&&` and `||`.
        Assert.Equal<ScriptCommand>(
            [And(new EitherTest(new BothTests(T('e', "/a"), T('d', "/b")), T('L', "/c")), new Touch(P("/d")))],
            Emulable("[ -e /a ] && [ -d /b ] || [ -L /c ] && touch /d"));
        Assert.Equal<ScriptCommand>([new Conditional(T('e', "/a"), [], [], true)], Emulable("[ -e /a ]"));
        Assert.Equal<ScriptCommand>([And(T('e', "/a"), new Touch(P("/b"))) with { FailureIgnored = true }], Emulable("[ -e /a ] && touch /b 2>/dev/null || true"));
        Assert.Equal<ScriptCommand>([Or(T('x', "/bin/sh"), new ExitScript()), new Touch(P("/b"))], Emulable("[ -x /bin/sh ] || exit 0\ntouch /b"));
        Assert.Equal<ScriptCommand>([And(T('e', "/a"), new NoOp())], Emulable("[ -e /a ] && echo present"));
    }

    [Fact]
    public void If_elif_else_nested()
    {
        var script = """
            if [ -d var/run ] && [ ! -L var/run ]; then
            	touch /a
            	if test -e /b
            	then
            		chmod 600 /b
            	fi
            elif [ -e /c ]; then :
            else
            	echo nothing to do
            	exit 0
            fi
            touch /z
            """;
        Assert.Equal<ScriptCommand>(
            [
                new Conditional(new BothTests(T('d', "/var/run"), T('L', "/var/run", true)),
                    [new Touch(P("/a")), new Conditional(T('e', "/b"), [new ChangeMode(P("/b"), ModeSpec.Parse("600"), false)], [], false)],
                    [new Conditional(T('e', "/c"), [new NoOp()], [new NoOp(), new ExitScript()], false)],
                    false),
                new Touch(P("/z")),
            ],
            Emulable(script));
        Assert.Equal<ScriptCommand>([new Conditional(T('f', "/a"), [new Touch(P("/b"))], [], false)], Emulable("if [ -f /a ]; then touch /b; fi"));
    }

    [Fact]
    public void Case_on_a_readlink()
    {
        var script = """
            case $(readlink /etc/x) in
            	(a|b) touch /ab ;;
            	'c d') ;;
            	*)
            		touch /other
            		[ -e /y ] && touch /y2
            esac
            """;
        Assert.Equal<ScriptCommand>(
            [
                new CaseOnLink("/etc/x",
                [
                    new CaseBranch(["a", "b"], [new Touch(P("/ab"))]),
                    new CaseBranch(["c d"], []),
                    new CaseBranch(["*"], [new Touch(P("/other")), And(T('e', "/y"), new Touch(P("/y2")))]),
                ]),
            ],
            Emulable(script));
        Assert.Equal<ScriptCommand>([new CaseOnLink("/l", [new CaseBranch(["t"], [new NoOp()])])], Emulable("case \"$(readlink l || :)\"\nin t) true;; esac"));
    }

    [Theory]
    [InlineData("if true; then touch /b; fi", "a condition other than a path test ('true') is not emulated")]
    [InlineData("if [ -n x ]; then touch /b; fi", "'[ -n x ]' is not emulated")]
    [InlineData("if [ -e /a ]; then fi", "an empty 'then' is not emulated")]
    [InlineData("if [ -e /a ]; then touch /a; else\nfi", "an empty 'else' is not emulated")]
    [InlineData("if [ -e /a ]; then touch /b", "'if' without its end is not emulated")]
    [InlineData("if [ -e /a ]; touch /b; fi", "'if' without 'then' is not emulated")]
    [InlineData("if [ -e /a ]; then touch /b; fi > /dev/null", "'>' is not emulated")]
    [InlineData("[ -e /a ] && touch /b && touch /c", "'&&' is not emulated")]
    [InlineData("[ -e /a ] && rm /b", "'rm' is not emulated")]
    [InlineData("touch /a && touch /b", "'&&' is not emulated")]
    [InlineData("[ -e /a", "'[' without ']' is not emulated")]
    [InlineData("[ -e \"\" ] && touch /a", "an empty path is not emulated")]
    [InlineData("[ -s /a ] && touch /a", "'[ -s /a ]' is not emulated")]
    [InlineData("[ -L /a/ ]", "a tested path ending in '/' ('/a/') is not emulated")]
    [InlineData("[ -e /a -a -e /b ]", "'[ -e /a -a -e /b ]' is not emulated")]
    [InlineData("! [ -e /a ]", "'!' is not emulated")]
    [InlineData("[ -e /a ] && exit 1", "'exit 1' is not emulated")]
    [InlineData("case x in a) ;; esac", "'case' on anything but $(readlink PATH) is not emulated")]
    [InlineData("case \"$(readlink -f /a)\" in a) ;; esac", "command substitution '$(readlink -f /a)' is not emulated")]
    [InlineData("case \"$(cat /a)\" in a) ;; esac", "command substitution '$(cat /a)' is not emulated")]
    [InlineData("case \"$(readlink /a | cat)\" in a) ;; esac", "command substitution '$(readlink /a | cat)' is not emulated")]
    [InlineData("case \"x$(readlink /a)\" in a) ;; esac", "command substitution is not emulated")]
    [InlineData("case \"$(readlink /a)x\" in a) ;; esac", "command substitution is not emulated")]
    [InlineData("case `readlink /a` in a) ;; esac", "command substitution is not emulated")]
    [InlineData("case \"$(readlink /a)\" in a*) ;; esac", "case pattern 'a*' is not emulated")]
    [InlineData("case \"$(readlink /a)\" in '*') ;; esac", "glob '*' is not emulated")]
    [InlineData("case \"$(readlink /a)\" in a) touch /b", "'case' without its end is not emulated")]
    [InlineData("case \"$(readlink /a)\" in a touch /b;; esac", "a case pattern not ended by ')' is not emulated")]
    [InlineData("case $(readlink /a", "an unterminated command substitution is not emulated")]
    [InlineData("touch \"$(readlink /a)\"", "command substitution is not emulated")]
    [InlineData("touch /a/*", "glob '*' is not emulated")]
    public void Pending_constructs(string script, string reason) => Assert.Equal(reason, Pending(script));

    [Fact]
    public void A_body_exit_does_not_stop_reading_but_a_top_level_one_does()
    {
        Assert.Equal<ScriptCommand>(
            [new Conditional(T('e', "/a"), [new ExitScript()], [], false), new Touch(P("/b")), new ExitScript()],
            Emulable("if [ -e /a ]; then exit 0; fi\ntouch /b\nexit 0\nrm -rf /"));
        Assert.Equal("'rm' is not emulated", Pending("if [ -e /a ]; then exit 0; fi\nrm -rf /"));
    }
}
