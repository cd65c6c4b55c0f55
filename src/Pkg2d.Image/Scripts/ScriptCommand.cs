namespace Pkg2d.Image.Scripts;

/// <summary>One emulable command of an install script, with its literal arguments.</summary>
public abstract record ScriptCommand
{
    /// <summary>
    /// The status of an `|| exit N` after the command: when the command fails, the script ends there with it.
    /// Null when a failure is ignored (nothing after it, `|| true`, `|| :`).
    /// </summary>
    public int? ExitOnFailure { get; init; }

    /// <summary>`|| true` or `|| :` after the command: its failure leaves the status 0.</summary>
    public bool FailureIgnored { get; init; }
}

/// <summary>`:`, `true`, and `echo` or `printf` of literal text: they succeed and change nothing (output goes to apk's log).</summary>
public sealed record NoOp : ScriptCommand;

/// <summary>`exit 0`: the script ends there with status 0.</summary>
public sealed record ExitScript : ScriptCommand;

/// <summary>
/// `if TEST; then ...; [elif ...;] [else ...;] fi`, `TEST && CMD` (<paramref name="Else"/> empty) or
/// `TEST || CMD` (<paramref name="Then"/> empty), or a lone test (both empty). When the branch taken is empty the
/// status is the test's for `&&` and `||` (<paramref name="StatusOfTest"/>) and 0 for `if`.
/// </summary>
public sealed record Conditional(Condition Test, ValueList<ScriptCommand> Then, ValueList<ScriptCommand> Else, bool StatusOfTest) : ScriptCommand;

/// <summary>
/// `case "$(readlink PATH 2>/dev/null || true)" in ...; esac`: the first branch with a pattern equal to the link's
/// target (empty when PATH is not a symlink) runs; the pattern `*` matches anything.
/// </summary>
public sealed record CaseOnLink(string Path, ValueList<CaseBranch> Branches) : ScriptCommand;

/// <summary>One `PATTERN|PATTERN) COMMANDS;;` of a <see cref="CaseOnLink"/>.</summary>
public sealed record CaseBranch(ValueList<string> Patterns, ValueList<ScriptCommand> Commands);

/// <summary>What a <see cref="Conditional"/> tests: it has no effect on the root, so it is evaluated as a boolean.</summary>
public abstract record Condition;

/// <summary>
/// `[ [!] -OP PATH ]` or `test [!] -OP PATH`, OP one of e, f, d, L (also for -h), x. Symlinks are followed, the last
/// one too except for L; x (as root) holds for anything with an execute bit.
/// </summary>
public sealed record PathTest(char Operator, string Path, bool Negated = false) : Condition;

/// <summary>`TEST && TEST`.</summary>
public sealed record BothTests(Condition Left, Condition Right) : Condition;

/// <summary>`TEST || TEST`.</summary>
public sealed record EitherTest(Condition Left, Condition Right) : Condition;

/// <summary>A command that changes etc/passwd, etc/group or etc/shadow; see <see cref="AccountDatabase"/>.</summary>
public abstract record AccountCommand : ScriptCommand;

/// <summary>`addgroup [-g GID] [-S] NAME`.</summary>
public sealed record AddGroup(string Name, int? Gid, bool System) : AccountCommand;

/// <summary>`addgroup USER GROUP` (or `adduser USER GROUP`): makes an existing user a member of an existing group.</summary>
public sealed record AddToGroup(string User, string Group) : AccountCommand;

/// <summary>
/// busybox `adduser -D` (or `-S`, which implies it). Null options take busybox's defaults: home `/home/NAME`,
/// gecos `Linux User,,,`, shell `/sbin/nologin` for system users and root's shell otherwise, primary group
/// `nogroup` for system users and a new group named like the user otherwise, skeleton `/etc/skel`.
/// </summary>
public sealed record AddUser(
    string Name,
    int? Uid,
    string? Group,
    string? Home,
    string? Gecos,
    string? Shell,
    bool System,
    bool CreateHome,
    string? Skeleton) : AccountCommand;

/// <summary>
/// `mkdir [-p] [-m MODE]` or `install -d [-m MODE] [-o OWNER] [-g GROUP]`. <paramref name="Mode"/> is resolved
/// (busybox takes a symbolic mkdir mode relative to 0777, an install one relative to 0755; without -m both make
/// 0755 under the scripts' umask). Missing parents (with -p, and always for install -d) are made 0755 root:root.
/// <paramref name="ResetExisting"/> (install -d) also sets the mode and owner of a directory that already
/// exists; mkdir leaves an existing directory alone.
/// </summary>
public sealed record MakeDirectory(PathList Paths, int Mode, string? Owner, string? Group, bool Parents, bool ResetExisting) : ScriptCommand;

/// <summary>
/// `chown [-R] [-h] OWNER[:GROUP]` or `chgrp [-R] [-h] GROUP`. Owner and group are names, or numbers when no
/// such name exists. <paramref name="LoginGroup"/> (`OWNER:` or `OWNER.`) sets the group to the owner's
/// primary group. <paramref name="NoDereference"/> changes a symlink itself instead of what it points to.
/// </summary>
public sealed record ChangeOwner(PathList Paths, string? Owner, string? Group, bool LoginGroup, bool Recursive, bool NoDereference) : ScriptCommand;

/// <summary>`chmod [-R] MODE PATH...`; apply <see cref="ModeSpec.Apply"/> to each file's current mode.</summary>
public sealed record ChangeMode(PathList Paths, ModeSpec Mode, bool Recursive) : ScriptCommand;

/// <summary>
/// `ln -s [-f] [-n] TARGET PATH`: the target is kept literally (it may be relative). When PATH is a directory,
/// or (without <paramref name="NoDereference"/>) a symlink to one, the link is made inside it, named like the
/// target's last component. <paramref name="Force"/> replaces an existing non-directory.
/// </summary>
public sealed record Symlink(string Target, string Path, bool Force, bool NoDereference) : ScriptCommand;

/// <summary>`touch PATH...`: creates missing files empty (mode 0644 under the scripts' umask), else updates times.</summary>
public sealed record Touch(PathList Paths) : ScriptCommand;

/// <summary>`busybox --install -s`: symlinks to /bin/busybox for each of its applets that is missing.</summary>
public sealed record BusyboxInstall : ScriptCommand;
