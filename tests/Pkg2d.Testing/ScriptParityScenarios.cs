namespace Pkg2d.Testing;

/// <summary>Parity scenarios whose install scripts use the constructs pkg2d emulates beyond simple commands.</summary>
public static class ScriptParityScenarios
{
    /// <summary>
    /// `scripted` (after alpine-baselayout and busybox) ships etc/scripted/conf, a link `current -> conf` and a link
    /// `old-link -> legacy`; its scripts use relative paths, echo and printf, `[ -e ] &&`, `[ ! -e ] ||`, `test`,
    /// `if`/`elif`/`else` and `case` on a readlink, taking some branches and not others.
    /// </summary>
    public static ParityScenario Conditionals { get; } = new("conditionals",
    [
        new SyntheticPackage("scripted", "1.0-r0")
        {
            Depends = ["alpine-baselayout", "busybox"],
            Scripts =
            {
                [".pre-install"] = """
                    #!/bin/sh
                    echo "preparing scripted"
                    [ -e etc/passwd ] && touch etc/had-passwd
                    [ -e etc/scripted/conf ] && touch etc/too-early
                    [ ! -e var/lib/scripted ] || touch var/lib/already
                    test -d var/lib || mkdir -p var/lib
                    mkdir -p var/lib/scripted
                    exit 0

                    """,
                [".post-install"] = """
                    #!/bin/sh
                    touch relfile
                    printf '%s\n' "configuring"
                    if [ -L etc/scripted/current ] && [ -f etc/scripted/current ]; then
                    	chmod 640 etc/scripted/conf
                    	if [ -d etc/scripted/none ]; then
                    		touch etc/scripted/wrong-nested
                    	fi
                    elif [ -d etc/scripted ]; then
                    	touch etc/scripted/wrong-elif
                    else
                    	: nothing
                    fi
                    case "$(readlink etc/scripted/old-link 2>/dev/null || true)" in
                    	legacy|older) ln -sf conf etc/scripted/old-link;;
                    	*) touch etc/scripted/unexpected;;
                    esac
                    case "$(readlink etc/scripted/conf 2>/dev/null || true)" in
                    	"") touch etc/scripted/conf-is-not-a-link;;
                    	*) touch etc/scripted/wrong-case;;
                    esac
                    [ -x bin/busybox ] && mkdir -m 700 var/lib/scripted/private
                    [ -L etc/scripted/missing ] && touch etc/scripted/wrong-link
                    [ ! -e etc/scripted/missing ] && chown root:shadow etc/scripted/conf
                    exit 0

                    """,
            },
            Files =
            [
                SyntheticFile.Directory("etc"),
                SyntheticFile.Directory("etc/scripted"),
                SyntheticFile.Text("etc/scripted/conf", "setting = 1\n"),
                SyntheticFile.Symlink("etc/scripted/current", "conf"),
                SyntheticFile.Symlink("etc/scripted/old-link", "legacy"),
            ],
        },
    ], ["scripted"], NeedsMinirootfs: true);
}
