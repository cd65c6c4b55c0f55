namespace Pkg2d.Image.Shell;

/// <summary>
/// etc/passwd, etc/group and etc/shadow as busybox 1.36's addgroup and adduser change them when Alpine's install
/// scripts run them (checked byte for byte against the real busybox). Lookups follow musl, which busybox uses.
/// A missing file stays missing: addgroup then fails, adduser fails without passwd and skips a missing shadow.
/// etc/gshadow, which Alpine does not ship, is not kept.
/// </summary>
public sealed class AccountDatabase
{
    private const uint FirstSystemId = 100;
    private const uint LastSystemId = 999;
    private const uint LastId = 256000;
    /// <summary>busybox 1.36's adduser fills an empty gecos with this; 1.37 (Alpine 3.23) leaves it empty.</summary>
    public const string OldDefaultGecos = "Linux User,,,";
    private const string DefaultShell = "/bin/sh";
    private const string SystemShell = "/sbin/nologin"; // Alpine's busybox, where upstream has /bin/false
    private const string SystemGroup = "nogroup";
    private const int LoginNameMax = 256;

    private readonly AccountFile _passwd;
    private readonly AccountFile _group;
    private readonly AccountFile _shadow;

    private readonly string _defaultGecos;

    private AccountDatabase(byte[]? passwd, byte[]? group, byte[]? shadow, string defaultGecos)
    {
        _defaultGecos = defaultGecos;
        _passwd = new AccountFile(passwd);
        _group = new AccountFile(group);
        _shadow = new AccountFile(shadow);
    }

    /// <summary>The files as the root has them (null for a missing one).</summary>
    /// <param name="defaultGecos">The gecos adduser writes without -g: depends on the busybox in the root.</param>
    public static AccountDatabase Parse(byte[]? passwd, byte[]? group, byte[]? shadow, string defaultGecos = OldDefaultGecos) =>
        new(passwd, group, shadow, defaultGecos);

    public byte[]? Passwd => _passwd.Content;

    public byte[]? Group => _group.Content;

    public byte[]? Shadow => _shadow.Content;

    /// <summary>
    /// The content before the last rewrite, which busybox leaves as `etc/passwd-` (a hard link to the old file, so
    /// with its mode and owner; the rewritten file keeps them too). Null when the file was never rewritten.
    /// </summary>
    public byte[]? PasswdBackup => _passwd.Backup;

    public byte[]? GroupBackup => _group.Backup;

    public byte[]? ShadowBackup => _shadow.Backup;

    public int? Uid(string name) => FindUser(name) is { } user ? (int)user.Uid : null;

    public int? Gid(string name) => FindGroup(name) is { } group ? (int)group.Gid : null;

    /// <summary>A user's primary group id (what `chown user: path` gives the file).</summary>
    public int? PrimaryGid(string name) => FindUser(name) is { } user ? (int)user.Gid : null;

    /// <summary>
    /// Runs the command against the files. <paramref name="daysSinceEpoch"/> is the day adduser writes into
    /// shadow's last-change field (busybox uses today).
    /// </summary>
    public AccountOutcome Apply(AccountCommand command, long daysSinceEpoch) => command switch
    {
        AddGroup add => AddGroup(add.Name, add.Gid is { } gid ? (uint)gid : null, add.System),
        AddToGroup add => AddToGroup(add.User, add.Group),
        AddUser add => AddUser(add, daysSinceEpoch),
        _ => throw new ArgumentException($"not an account command: {command}", nameof(command)),
    };

    private AccountOutcome AddGroup(string name, uint? fixedGid, bool system)
    {
        if (BadName(name) is { } bad)
            return AccountOutcome.Refused(bad);
        if (FindGroup(name) is not null)
            return AccountOutcome.Refused($"group '{name}' in use");
        var gid = fixedGid ?? (system ? FirstSystemId : LastSystemId + 1);
        var max = system && fixedGid is null ? LastSystemId : LastId;
        while (FindGroup(gid) is not null)
        {
            if (fixedGid is not null)
                return AccountOutcome.Refused($"gid '{gid}' in use");
            if (gid == max)
                return AccountOutcome.Refused("no gids left");
            gid++;
        }
        return _group.Update(name, $"x:{gid}:", null) ? AccountOutcome.Done() : AccountOutcome.Refused("/etc/group: No such file or directory");
    }

    private AccountOutcome AddToGroup(string user, string group)
    {
        if (FindUser(user) is null)
            return AccountOutcome.Refused($"unknown user {user}");
        if (FindGroup(group) is not { } entry)
            return AccountOutcome.Refused($"unknown group {group}");
        if (entry.Members.Contains(user))
            return AccountOutcome.Done();
        return _group.Update(group, null, user) ? AccountOutcome.Done() : AccountOutcome.Refused("/etc/group: No such file or directory");
    }

    private AccountOutcome AddUser(AddUser add, long daysSinceEpoch)
    {
        var name = add.Name;
        if (BadName(name) is { } bad)
            return AccountOutcome.Refused(bad);
        var home = add.Home ?? "/home/" + name;
        var shell = add.Shell ?? (add.System ? SystemShell : RootShell());
        var groupName = add.Group ?? (add.System ? SystemGroup : null);
        uint? gid = null;
        if (groupName is not null)
        {
            if (FindGroup(groupName) is not { } group)
                return AccountOutcome.Refused($"unknown group {groupName}");
            gid = group.Gid;
        }
        if (FindUser(name) is not null)
            return AccountOutcome.Refused($"user '{name}' in use");

        // The uid must be free in passwd and, when the user gets a group of its own with the same id, in group too.
        var uid = add.Uid is { } fixedUid ? (uint)fixedUid : add.System ? FirstSystemId : LastSystemId + 1;
        var max = add.System ? LastSystemId : LastId;
        while (FindUser(uid) is not null || (gid is null && FindGroup(uid) is not null))
        {
            if (add.Uid is not null)
                return AccountOutcome.Refused($"uid '{uid}' in use");
            if (uid == max)
                return AccountOutcome.Refused("no uids left");
            uid++;
        }
        if (gid is null && FindGroup(name) is not null)
            return AccountOutcome.Refused($"group '{name}' in use");
        var primaryGid = gid ?? uid;

        if (!_passwd.Update(name, $"x:{uid}:{primaryGid}:{add.Gecos ?? _defaultGecos}:{home}:{shell}", null))
            return AccountOutcome.Refused("/etc/passwd: No such file or directory");
        _shadow.Update(name, $"!:{daysSinceEpoch}:0:99999:7:::", null);
        // busybox runs addgroup for the user's group and ignores how that went (a missing etc/group, say).
        if (groupName is not null)
            AddToGroup(name, groupName);
        else
            AddGroup(name, primaryGid, system: false);
        return AccountOutcome.Done(add.CreateHome ? new HomeDirectory(home, (int)uid, (int)primaryGid, add.Skeleton ?? "/etc/skel") : null);
    }

    /// <summary>busybox `deluser NAME`: the user's lines, its memberships, and its own group when no other user has it as primary group.</summary>
    public AccountOutcome DeleteUser(string name)
    {
        if (FindUser(name) is null)
            return AccountOutcome.Refused($"unknown user {name}");
        _passwd.Remove(name);
        _shadow.Remove(name);
        _group.RemoveMember(name);
        if (FindGroup(name) is { } own && !Users().Any(u => u.Gid == own.Gid))
            _group.Remove(name);
        return AccountOutcome.Done();
    }

    /// <summary>busybox `delgroup NAME`: refused while a user has it as primary group.</summary>
    public AccountOutcome DeleteGroup(string name)
    {
        if (FindGroup(name) is not { } group)
            return AccountOutcome.Refused($"unknown group {name}");
        if (Users().FirstOrDefault(u => u.Gid == group.Gid) is { } user)
            return AccountOutcome.Refused($"'{user.Name}' still has '{name}' as their primary group!");
        _group.Remove(name);
        return AccountOutcome.Done();
    }

    /// <summary>
    /// busybox `passwd -l` or `-u` as root: puts or takes away the `!` before the user's password in etc/shadow (in
    /// etc/passwd when shadow has no line for it), stamping shadow's last-change day.
    /// </summary>
    public AccountOutcome LockPassword(string name, bool locked, long daysSinceEpoch)
    {
        if (FindUser(name) is null)
            return AccountOutcome.Refused($"unknown user {name}");
        var inShadow = _shadow.Exists && _shadow.Has(name);
        var file = inShadow ? _shadow : _passwd;
        var password = file.Lines.First(l => l.StartsWith(name + ":", StringComparison.Ordinal)).Split(':')[1];
        if (locked && password.StartsWith('!'))
            return AccountOutcome.Refused($"password for {name} is already locked");
        var changed = locked ? "!" + password : password.StartsWith('!') ? password[1..] : password;
        file.Edit(name, line =>
        {
            var fields = line.Split(':');
            fields[1] = changed;
            if (inShadow && fields.Length > 2)
                fields[2] = daysSinceEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return string.Join(':', fields);
        });
        return AccountOutcome.Done();
    }

    /// <summary>The lines of etc/passwd and etc/group as lookups read them (getent, id).</summary>
    public IReadOnlyList<string> PasswdLines => [.. _passwd.LookupLines];

    public IReadOnlyList<string> GroupLines => [.. _group.LookupLines];

    /// <summary>The names of the groups a user is in: its primary group, then those listing it as a member, in file order.</summary>
    public IReadOnlyList<(string Name, uint Gid)> GroupsOf(string user)
    {
        if (FindUser(user) is not { } entry)
            return [];
        var groups = new List<(string, uint)>();
        if (FindGroup(entry.Gid) is { } primary)
            groups.Add((primary.Name, primary.Gid));
        else
            groups.Add((entry.Gid.ToString(System.Globalization.CultureInfo.InvariantCulture), entry.Gid));
        // busybox's id lists the primary group again when the user is also a member of it.
        foreach (var group in Groups().Where(g => g.Members.Contains(user)))
            groups.Add((group.Name, group.Gid));
        return groups;
    }

    public string? GroupName(uint gid) => FindGroup(gid)?.Name;

    public string? UserName(uint uid) => FindUser(uid)?.Name;

    // busybox's die_if_bad_username: letters, digits and `_`; `-` and `.` too except first; `$` only last.
    private static string? BadName(string name)
    {
        for (var i = 0; i < Math.Max(name.Length, 1); i++)
        {
            var c = i < name.Length ? name[i] : '\0';
            var later = i > 0 && (c is '-' or '.' || (c == '$' && i == name.Length - 1));
            if (!later && c != '_' && !char.IsAsciiLetterOrDigit(c))
                return $"illegal character with code {(int)c} at position {i}";
        }
        return name.Length >= LoginNameMax ? "name is too long" : null;
    }

    // adduser's default shell is root's: apk runs scripts without SHELL in the environment (the applet passes $SHELL as -s).
    private string RootShell() =>
        FindUser(0u) is { Shell.Length: > 0 } root ? root.Shell : DefaultShell;

    private PasswdEntry? FindUser(string name) => Users().FirstOrDefault(u => u.Name == name);

    private PasswdEntry? FindUser(uint uid) => Users().FirstOrDefault(u => u.Uid == uid);

    private GroupEntry? FindGroup(string name) => Groups().FirstOrDefault(g => g.Name == name);

    private GroupEntry? FindGroup(uint gid) => Groups().FirstOrDefault(g => g.Gid == gid);

    // Owners of every extracted file are looked up here: the entries are parsed once per content of the file.
    private (byte[]? From, List<PasswdEntry> Entries) _users;
    private (byte[]? From, List<GroupEntry> Entries) _groups;

    private List<PasswdEntry> Users()
    {
        if (_users.Entries is null || !ReferenceEquals(_users.From, _passwd.Content))
            _users = (_passwd.Content, [.. _passwd.LookupLines.Select(AccountEntries.ParsePasswd).OfType<PasswdEntry>()]);
        return _users.Entries;
    }

    private List<GroupEntry> Groups()
    {
        if (_groups.Entries is null || !ReferenceEquals(_groups.From, _group.Content))
            _groups = (_group.Content, [.. _group.LookupLines.Select(AccountEntries.ParseGroup).OfType<GroupEntry>()]);
        return _groups.Entries;
    }
}
