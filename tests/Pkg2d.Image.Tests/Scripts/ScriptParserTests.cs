using Pkg2d.Image.Scripts;
using static Pkg2d.Image.Tests.Scripts.Parsed;

namespace Pkg2d.Image.Tests.Scripts;

public sealed class ScriptParserTests
{
    [Fact]
    public void BusyboxPostInstall()
    {
        var commands = Emulable("""
            #!/bin/busybox sh

            # We need the symlinks early
            /bin/busybox mkdir -p "/bin" "/sbin" "/usr/bin" "/usr/sbin"
            /bin/busybox --install -s || exit 1

            # can't be in pre-install since adduser/group may not available then
            addgroup -S klogd 2>/dev/null
            adduser -S -D -H -h /dev/null -s /sbin/nologin -G klogd -g klogd klogd 2>/dev/null

            exit 0
            """);
        Assert.Equal<ScriptCommand>(
            [
                new MakeDirectory(P("/bin", "/sbin", "/usr/bin", "/usr/sbin"), 0b111_101_101, null, null, Parents: true, ResetExisting: false),
                new BusyboxInstall { ExitOnFailure = 1 },
                new AddGroup("klogd", null, System: true),
                new AddUser("klogd", null, "klogd", "/dev/null", "klogd", "/sbin/nologin", System: true, CreateHome: false, null),
                new ExitScript(),
            ],
            commands);
    }

    [Fact]
    public void TypicalAccountScript()
    {
        var commands = Emulable("#!/bin/sh\naddgroup -S nginx 2>/dev/null\nadduser -S -D -H -h /var/cache/nginx -s /sbin/nologin -G nginx -g nginx nginx 2>/dev/null\nexit 0\n");
        Assert.Equal<ScriptCommand>(
            [
                new AddGroup("nginx", null, true),
                new AddUser("nginx", null, "nginx", "/var/cache/nginx", "nginx", "/sbin/nologin", true, false, null),
                new ExitScript(),
            ],
            commands);
    }

    [Fact]
    public void PendingIsReportedWithItsLine()
    {
        var parsed = ScriptParser.Parse("#!/bin/sh\naddgroup -S x\nif [ -d /var/run ] && [ ! -L /var/run ]; then\n\trm -rf /var/run\nfi\n");
        Assert.Equal("'rm' is not emulated", parsed.PendingReason);
        Assert.Equal(4, parsed.PendingLine);
        Assert.Empty(parsed.Commands);
    }

    [Fact]
    public void LinesAfterExitZeroAreNotRead()
    {
        var commands = Emulable("touch /a\nexit 0\nif true; then sed -i s/a/b/ $x; fi\n");
        Assert.Equal<ScriptCommand>([new Touch(P("/a")), new ExitScript()], commands);
        Assert.Equal<ScriptCommand>([new Touch(P("/a")), new ExitScript()], Emulable("touch /a; exit 0; echo $HOME"));
    }

    [Theory]
    [InlineData("addgroup -S -g 82 www-data", "www-data", 82, true)]
    [InlineData("addgroup -Sg 82 www-data", "www-data", 82, true)]
    [InlineData("addgroup -Sg82 -- www-data", "www-data", 82, true)]
    [InlineData("addgroup www-data -S", "www-data", null, true)]
    [InlineData("addgroup --system --gid=70 postgres", "postgres", 70, true)]
    [InlineData("addgroup -g 0042 shadow", "shadow", 42, false)]
    [InlineData("busybox addgroup mail", "mail", null, false)]
    [InlineData("/usr/sbin/addgroup mail", "mail", null, false)]
    public void AddGroupForms(string script, string name, int? gid, bool system) =>
        Assert.Equal<ScriptCommand>([new AddGroup(name, gid, system)], Emulable(script));

    [Theory]
    [InlineData("addgroup nginx www-data")]
    [InlineData("addgroup -S nginx www-data")]
    [InlineData("adduser nginx www-data")]
    public void AddToGroupForms(string script) =>
        Assert.Equal<ScriptCommand>([new AddToGroup("nginx", "www-data")], Emulable(script));

    [Fact]
    public void AddUserForms()
    {
        Assert.Equal<ScriptCommand>(
            [new AddUser("postgres", 70, "postgres", "/var/lib/postgresql", "Postgres", "/bin/sh", true, false, null)],
            Emulable("adduser -S -D -H -u 70 -G postgres -h /var/lib/postgresql -s /bin/sh -g Postgres postgres"));
        Assert.Equal<ScriptCommand>([new AddUser("a", 556, null, "/y", null, null, true, false, null)], Emulable("adduser -SDHu 556 -h/y a"));
        Assert.Equal<ScriptCommand>([new AddUser("normal", null, null, null, null, null, false, true, "/etc/skel2")], Emulable("adduser -D -k /etc/skel2 normal"));
        Assert.Equal<ScriptCommand>([new AddUser("d", null, null, null, "", null, false, true, null)], Emulable("adduser -D -g '' d"));
        Assert.Equal<ScriptCommand>(
            [new AddUser("l", 5, "users", "/x", "hi", "/bin/false", true, false, null)],
            Emulable("adduser --system --disabled-password --no-create-home --home /x --shell /bin/false --ingroup users --uid 5 --gecos hi l"));
        // Repeated options: the last one wins, as with getopt.
        Assert.Equal<ScriptCommand>([new AddUser("r", 601, null, null, null, null, false, true, null)], Emulable("adduser -D -u 600 -u 601 r"));
    }

    [Fact]
    public void FileCommands()
    {
        Assert.Equal<ScriptCommand>(
            [
                new MakeDirectory(P("/var/lib/x"), 0b111_000_000, null, null, true, false),
                new MakeDirectory(P("/a"), 0b101_111_111, null, null, false, false),
                new MakeDirectory(P("/run/x", "/var/log/x"), 0b010_111_111_000, "nginx", "www-data", true, true),
                new MakeDirectory(P("/i"), 0b111_111_101, null, null, true, true),
                new MakeDirectory(P("/j"), 0b111_101_101, "root", null, true, true),
            ],
            Emulable("mkdir -p -m 700 /var/lib/x/\nmkdir -m u-w //a\ninstall -d -m 2770 -o nginx -g www-data /run/x /var/log/x\ninstall -d -m g+w /i\ninstall -d -o root /j"));
        Assert.Equal<ScriptCommand>(
            [
                new ChangeOwner(P("/a"), "nginx", "www-data", false, true, false),
                new ChangeOwner(P("/b", "/c"), "nginx", "www-data", false, false, true),
                new ChangeOwner(P("/d"), null, "www-data", false, false, false),
                new ChangeOwner(P("/e"), "nginx", null, true, false, false),
                new ChangeOwner(P("/f"), "nginx", null, false, false, false),
                new ChangeOwner(P("/g"), null, "shadow", false, true, false),
                new ChangeOwner(P("/h"), "100", "101", false, false, false),
            ],
            Emulable("chown -R nginx:www-data /a\nchown -h nginx.www-data /b /c\nchown :www-data /d\nchown nginx: /e\nchown nginx /f\nchgrp -R shadow /g\nchown 100:101 /h"));
        var chmod = Assert.IsType<ChangeMode>(Assert.Single(Emulable("chmod -R g+w,o-rwx /var/lib/x")));
        Assert.Equal((P("/var/lib/x"), "g+w,o-rwx", true), (chmod.Paths, chmod.Mode.Text, chmod.Recursive));
        Assert.Equal("-w", Assert.IsType<ChangeMode>(Assert.Single(Emulable("chmod -w /f"))).Mode.Text);
        Assert.Equal("u+s", Assert.IsType<ChangeMode>(Assert.Single(Emulable("chmod u+s /bin/ping"))).Mode.Text);
        Assert.Equal<ScriptCommand>(
            [new Symlink("../run", "/var/run", false, false), new Symlink("color_prompt.sh.disabled", "/etc/profile.d/color_prompt.sh", true, true)],
            Emulable("ln -s ../run /var/run/\nln -sfn color_prompt.sh.disabled /etc/profile.d/color_prompt.sh"));
        Assert.Equal<ScriptCommand>([new Touch(P("/var/log/a", "/var/log/b"))], Emulable("touch /var/log/a '/var/log/b'"));
    }

    [Fact]
    public void ShellLiterals()
    {
        Assert.Equal<ScriptCommand>(
            [new Touch(P("/a b", "/c\"d", "/e'f", "/gh"))],
            Emulable("touch '/a b' \"/c\\\"d\" /e\\'f \\\n /g\\\nh"));
        Assert.Equal<ScriptCommand>([new Touch(P("/a")), new Touch(P("/b"))], Emulable("touch /a;touch /b # comment ; touch /c"));
        Assert.Equal<ScriptCommand>([new NoOp(), new NoOp(), new Touch(P("/a"))], Emulable(": nothing\ntrue\n\ntouch /a"));
    }

    [Theory]
    [InlineData("touch /a 2>/dev/null")]
    [InlineData("touch /a >/dev/null")]
    [InlineData("touch /a > /dev/null 2>&1")]
    [InlineData("touch /a 1>/dev/null 2>/dev/null")]
    [InlineData("touch /a 2>&1")]
    [InlineData("touch /a >>/dev/null")]
    public void IgnoredRedirections(string script) =>
        Assert.Equal<ScriptCommand>([new Touch(P("/a"))], Emulable(script));

    [Theory]
    [InlineData("touch /a || true")]
    [InlineData("touch /a || :")]
    [InlineData("touch /a 2>/dev/null || true")]
    public void IgnoredFailures(string script) =>
        Assert.Equal<ScriptCommand>([new Touch(P("/a")) { FailureIgnored = true }], Emulable(script));

    [Fact]
    public void ExitAfterFailureIsKept() =>
        Assert.Equal<ScriptCommand>([new AddGroup("x", null, true) { ExitOnFailure = 3 }], Emulable("addgroup -S x 2>/dev/null || exit 3"));

    [Theory]
    [InlineData("if true; then touch /b; fi", "a condition other than a path test ('true') is not emulated")]
    [InlineData("case x in a) ;; esac", "'case' on anything but $(readlink PATH) is not emulated")]
    [InlineData("for i in a b; do touch /a; done", "'for' is not emulated")]
    [InlineData("while true; do :; done", "'while' is not emulated")]
    [InlineData("f() { touch /a; }", "a function definition is not emulated")]
    [InlineData("{ touch /a; }", "'{' is not emulated")]
    [InlineData("( touch /a )", "'(' is not emulated")]
    [InlineData("sed -i 's/a/b/' /etc/x", "'sed' is not emulated")]
    [InlineData("echo hi > /etc/x", "redirection '>/etc/x' is not emulated")]
    [InlineData("echo hi >> /etc/x", "redirection '>>/etc/x' is not emulated")]
    [InlineData("touch /a | cat", "a pipe is not emulated")]
    [InlineData("touch /a && touch /b", "'&&' is not emulated")]
    [InlineData("touch /a &", "a background command is not emulated")]
    [InlineData("touch /a || touch /b", "'|| touch /b' is not emulated")]
    [InlineData("touch $HOME", "variable expansion is not emulated")]
    [InlineData("touch \"/a/$x\"", "variable expansion is not emulated")]
    [InlineData("touch '/a/$x'", "variable expansion is not emulated")]
    [InlineData("touch $(cat /a)", "command substitution is not emulated")]
    [InlineData("touch `cat /a`", "command substitution is not emulated")]
    [InlineData("chmod 644 /etc/*.conf", "glob '*' is not emulated")]
    [InlineData("touch /a?", "glob '?' is not emulated")]
    [InlineData("touch /a[1]", "glob '[' is not emulated")]
    [InlineData("touch ~/a", "tilde expansion is not emulated")]
    [InlineData("cat <<EOF\nx\nEOF", "a here-document is not emulated")]
    [InlineData("touch /a <<EOF\nx\nEOF", "a here-document is not emulated")]
    [InlineData("touch /a > /etc/x", "redirection '>/etc/x' is not emulated")]
    [InlineData("touch /a < /etc/x", "redirection '</etc/x' is not emulated")]
    [InlineData("FOO=1 touch /a", "variable assignment is not emulated")]
    [InlineData("delgroup x", "'delgroup' is not emulated")]
    [InlineData("deluser x", "'deluser' is not emulated")]
    [InlineData("install -m 644 /a /b", "'install' without -d is not emulated")]
    [InlineData("ln /a /b", "a hard link is not emulated")]
    [InlineData("ln -s /a", "'ln -s /a' is not emulated")]
    [InlineData("touch -c /a", "'touch -c' is not emulated")]
    [InlineData("mkdir -v /a", "'mkdir -v' is not emulated")]
    [InlineData("chmod 17777 /a", "invalid mode '17777' is not emulated")]
    [InlineData("addgroup -g 12x a", "invalid id '12x' is not emulated")]
    [InlineData("addgroup -g 256001 a", "invalid id '256001' is not emulated")]
    [InlineData("addgroup -g 5 a b", "'addgroup -g 5 a b' is not emulated")]
    [InlineData("adduser normal", "'adduser' without -D is not emulated")]
    [InlineData("adduser -D a b", "'adduser -D a b' is not emulated")]
    [InlineData("exit 1", "'exit 1' is not emulated")]
    [InlineData("exit", "'exit' without a status is not emulated")]
    [InlineData("/usr/local/bin/foo", "'/usr/local/bin/foo' is not emulated")]
    [InlineData("busybox --install", "'busybox --install' is not emulated")]
    [InlineData("set -e", "'set' is not emulated")]
    [InlineData("touch '/a", "an unterminated quote is not emulated")]
    public void PendingConstructs(string script, string reason) => Assert.Equal(reason, Pending(script));
}
