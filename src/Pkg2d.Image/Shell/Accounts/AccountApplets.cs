using System.Globalization;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox's account applets (addgroup, adduser, delgroup, deluser, add-shell, remove-shell, id) and musl's getent,
/// over the root's etc/passwd, etc/group and etc/shadow (see <see cref="AccountDatabase"/>).
/// </summary>
internal static class AccountApplets
{
    /// <summary>busybox's CONFIG_LAST_ID on Alpine: `-g`/`-u` take 0..256000.</summary>
    private const int LastId = 256000;

    public static IEnumerable<KeyValuePair<string, Applet>> All =>
    [
        new("addgroup", AddGroup), new("adduser", AddUser), new("delgroup", DelGroup), new("deluser", DelUser),
        new("add-shell", AddShell), new("remove-shell", RemoveShell), new("id", Id), new("whoami", WhoAmI), new("passwd", Passwd),
    ];

    private static readonly Dictionary<string, char> AddGroupLong = new() { ["gid"] = 'g', ["system"] = 'S' };

    private static readonly Dictionary<string, char> AddUserLong = new()
    {
        ["home"] = 'h', ["gecos"] = 'g', ["shell"] = 's', ["ingroup"] = 'G', ["disabled-password"] = 'D',
        ["empty-password"] = 'D', ["system"] = 'S', ["no-create-home"] = 'H', ["uid"] = 'u', ["skel"] = 'k',
    };

    private static int AddGroup(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "g:S", AddGroupLong);
        AccountCommand command = options.Operands switch
        {
            [var group] => new AddGroup(group, options.Has('g') ? ParseId(context, options.Value('g')!) : null, options.Has('S')),
            // busybox refuses `-g` with a member to add (it prints its usage).
            [var user, var group] when !options.Has('g') => new AddToGroup(user, group),
            _ => throw context.NotEmulated(string.Join(' ', context.Arguments)),
        };
        return Apply(context, command);
    }

    private static int AddUser(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "h:g:s:G:DSHu:k:", AddUserLong);
        var hasOptions = "hgsGDSHuk".Any(options.Has);
        switch (options.Operands)
        {
            case [var user, var group] when !hasOptions:
                return Apply(context, new AddToGroup(user, group));
            case [var user]:
                var system = options.Has('S');
                // Without -D (which -S implies) busybox runs `passwd` to ask for a password.
                if (!system && !options.Has('D'))
                    throw context.NotEmulated("without -D (it asks for a password)");
                var shell = options.Value('s') ?? (system ? null : context.Environment.GetValueOrDefault("SHELL"));
                return Apply(context, new AddUser(user, options.Has('u') ? ParseId(context, options.Value('u')!) : null, options.Value('G'),
                    options.Value('h'), options.Value('g'), shell, system, CreateHome: !options.Has('H'), options.Value('k')));
            default:
                throw context.NotEmulated(string.Join(' ', context.Arguments));
        }
    }

    private static int Apply(AppletContext context, AccountCommand command)
    {
        var accounts = context.Host.Accounts;
        var outcome = accounts.Apply(command, context.Host.Day);
        if (!outcome.Succeeded)
            return context.Fail(outcome.Error!);
        context.Host.SaveAccounts(accounts);
        if (outcome.Home?.MakeIn(context.Files, path => context.Real(path)) is { } error)
            context.Fail(error);
        return 0;
    }

    private static int DelUser(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "r", new Dictionary<string, char> { ["remove-home"] = 'r' });
        if (options.Operands is not [var user])
            return context.Fail("usage: deluser [--remove-home] USER");
        var accounts = context.Host.Accounts;
        var homePath = accounts.PasswdLines.FirstOrDefault(l => l.StartsWith(user + ":", StringComparison.Ordinal))?.Split(':') is { Length: >= 6 } fields ? fields[5] : null;
        var outcome = accounts.DeleteUser(user);
        if (!outcome.Succeeded)
            return context.Fail(outcome.Error!);
        context.Host.SaveAccounts(accounts);
        if (options.Has('r') && homePath is { Length: > 0 } && context.Real(homePath) is { Length: > 0 } real && context.Files[real] is not null)
            context.Files.Remove(real);
        return 0;
    }

    private static int DelGroup(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "");
        if (options.Operands is not [var group])
            throw context.NotEmulated(string.Join(' ', context.Arguments));
        var accounts = context.Host.Accounts;
        var outcome = accounts.DeleteGroup(group);
        if (!outcome.Succeeded)
            return context.Fail(outcome.Error!);
        context.Host.SaveAccounts(accounts);
        return 0;
    }

    /// <summary>`passwd -l USER` and `passwd -u USER`: lock or unlock; setting a password asks for one, which is not emulated.</summary>
    private static int Passwd(AppletContext context)
    {
        if (context.Arguments is not [("-l" or "-u") and var option, var user])
            throw context.NotEmulated(string.Join(' ', context.Arguments));
        var accounts = context.Host.Accounts;
        var outcome = accounts.LockPassword(user, option == "-l", context.Host.Day);
        if (!outcome.Succeeded)
            return context.Fail(outcome.Error!);
        context.Host.SaveAccounts(accounts);
        return 0;
    }

    private const string Shells = "/etc/shells";

    /// <summary>`add-shell SHELL...`: appends each shell etc/shells does not list yet (creating the file).</summary>
    private static int AddShell(AppletContext context) => EditShells(context, (lines, shell) =>
    {
        if (!lines.Contains(shell))
            lines.Add(shell);
    });

    /// <summary>`remove-shell SHELL...`: drops each shell's lines from etc/shells.</summary>
    private static int RemoveShell(AppletContext context) => EditShells(context, (lines, shell) => lines.RemoveAll(l => l == shell));

    private static int EditShells(AppletContext context, Action<List<string>, string> edit)
    {
        if (context.Arguments.Count == 0)
            return context.Fail("usage: " + context.Name + " SHELL...");
        var real = context.Real(Shells);
        var existing = context.Files[real] is { Kind: NodeKind.File } ? ShellText.Decode(context.Files.Read(real)) : null;
        var lines = existing is null ? [] : existing.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        var before = lines.ToList();
        foreach (var shell in context.Arguments)
            edit(lines, shell);
        if (existing is not null && lines.SequenceEqual(before))
            return 0;
        context.Files.Write(real, ShellText.Encode(string.Concat(lines.Select(l => l + "\n"))), 0b110_100_100);
        return 0;
    }

    /// <summary>`id [-u|-g|-G] [-n] [USER]` for root (the scripts' user) or a named user.</summary>
    private static int Id(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "ugGnr");
        var accounts = context.Host.Accounts;
        var user = options.Operands.Count > 0 ? options.Operands[0] : accounts.UserName(0) ?? "0";
        var uid = accounts.Uid(user);
        var gid = accounts.PrimaryGid(user);
        if (uid is null || gid is null)
            return context.Fail($"unknown user {user}");
        var names = options.Has('n');
        var groups = accounts.GroupsOf(user);
        string Group(uint id) => accounts.GroupName(id) ?? id.ToString(CultureInfo.InvariantCulture);
        string line;
        if (options.Has('u'))
            line = names ? user : uid.Value.ToString(CultureInfo.InvariantCulture);
        else if (options.Has('g'))
            line = names ? Group((uint)gid.Value) : gid.Value.ToString(CultureInfo.InvariantCulture);
        else if (options.Has('G'))
            line = string.Join(' ', groups.Select(g => names ? g.Name : g.Gid.ToString(CultureInfo.InvariantCulture)));
        else
            line = $"uid={uid}({user}) gid={gid}({Group((uint)gid.Value)}) groups={string.Join(',', groups.Select(g => $"{g.Gid}({g.Name})"))}";
        context.Output.Write(line + "\n");
        return 0;
    }

    private static int WhoAmI(AppletContext context)
    {
        context.Output.Write((context.Host.Accounts.UserName(0) ?? "0") + "\n");
        return 0;
    }

    /// <summary>musl's `getent passwd|group [KEY...]`: the matching lines (by name or number); status 2 when a key is not found.</summary>
    public static int Getent(AppletContext context)
    {
        if (context.Arguments.Count == 0 || context.Arguments[0] is not ("passwd" or "group"))
            throw context.NotEmulated(string.Join(' ', context.Arguments));
        var accounts = context.Host.Accounts;
        var lines = context.Arguments[0] == "passwd" ? accounts.PasswdLines : accounts.GroupLines;
        var keys = context.Arguments.Skip(1).ToList();
        if (keys.Count == 0)
        {
            foreach (var line in lines)
                context.Output.Write(line + "\n");
            return 0;
        }
        var status = 0;
        foreach (var key in keys)
        {
            var match = lines.FirstOrDefault(l => l.Split(':') is { Length: >= 3 } f && (f[0] == key || (key.All(char.IsAsciiDigit) && f[2] == key)));
            if (match is null)
                status = 2;
            else
                context.Output.Write(match + "\n");
        }
        return status;
    }

    private static int ParseId(AppletContext context, string text) =>
        text.Length > 0 && text.All(char.IsAsciiDigit) && long.TryParse(text, out var id) && id <= LastId
            ? (int)id
            : throw context.NotEmulated($"with the invalid id '{text}'");
}
