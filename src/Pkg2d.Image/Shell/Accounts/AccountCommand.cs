namespace Pkg2d.Image.Shell;

/// <summary>A change busybox's addgroup or adduser makes to etc/passwd, etc/group and etc/shadow; see <see cref="AccountDatabase"/>.</summary>
public abstract record AccountCommand;

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
