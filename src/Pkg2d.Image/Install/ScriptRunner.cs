using System.Globalization;
using System.Text;
using Pkg2d.Image.Packages;
using Pkg2d.Image.Scripts;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Install;

/// <summary>
/// Runs install scripts against a <see cref="VirtualRoot"/> by emulating their commands as Alpine's busybox
/// would run them inside the root. A script that is not made of emulable commands changes nothing here and is
/// reported as pending.
/// </summary>
public sealed class ScriptRunner
{
    private const string Passwd = "etc/passwd", Group = "etc/group", Shadow = "etc/shadow";
    private readonly VirtualRoot _root;
    private readonly long _days;
    private readonly List<string> _applets = [];
    private string _defaultGecos = AccountDatabase.OldDefaultGecos;

    // The running script's first reason to stay pending, and the status of its last command.
    private string? _pending;
    private int _status;

    public ScriptRunner(VirtualRoot root, DateTimeOffset created)
    {
        _root = root;
        // The day of the last password change: the image's creation day, so the image does not depend on today.
        _days = created.ToUnixTimeSeconds() / 86400;
        Accounts = Load();
    }

    /// <summary>The root's accounts as they stand now: owners of extracted files are mapped against these.</summary>
    public AccountDatabase Accounts { get; private set; }

    /// <summary>After a package's files are in: it may have shipped the account databases or busybox's applet list.</summary>
    public void PackageFilesChanged(PackageFacts package)
    {
        if (package.Name == "busybox")
            _defaultGecos = ApkVersion.Compare(package.Version, "1.37") >= 0 ? "" : AccountDatabase.OldDefaultGecos;
        if (package.KeptContents.Count > 0 || package.Name == "busybox")
            Accounts = Load();
        _applets.AddRange(package.BusyboxLinks);
    }

    /// <summary>
    /// Emulates a script; returns why it cannot be emulated, or null when it was. A script that would end with a
    /// status other than 0 is pending too: apk reports it as failed, which is not emulated.
    /// </summary>
    public string? Run(PackageFacts package, PackageScript script)
    {
        var text = Encoding.UTF8.GetString(script.Content);
        var parsed = ScriptParser.Parse(text);
        if (parsed.IsPending)
            return parsed.PendingReason;
        // apk executes the script itself: without its interpreter in the root it fails and changes nothing.
        if (!HasInterpreter(text))
            return null;
        _pending = null;
        _status = 0;
        var status = Execute(parsed.Commands) ?? _status;
        return _pending ?? (status == 0 ? null : $"it would exit with status {status}, which apk reports as a failed script");
    }

    private bool HasInterpreter(string script)
    {
        var interpreter = "/bin/sh";
        if (script.StartsWith("#!", StringComparison.Ordinal))
        {
            var line = script[2..(script.IndexOf('\n') is var end and >= 0 ? end : script.Length)].Trim();
            interpreter = line.Split(' ', 2)[0];
        }
        return _root[_root.Resolve(interpreter.TrimStart('/'))] is { Kind: NodeKind.File };
    }

    /// <summary>Runs commands in order; returns the script's status when one ends it, else null (the status is in <see cref="_status"/>).</summary>
    private int? Execute(IReadOnlyList<ScriptCommand> commands)
    {
        foreach (var command in commands)
        {
            if (Execute(command) is { } exit)
                return exit;
        }
        return null;
    }

    private int? Execute(ScriptCommand command)
    {
        switch (command)
        {
            case ExitScript:
                return 0;
            case Conditional conditional:
                var holds = Holds(conditional.Test);
                var branch = holds ? conditional.Then : conditional.Else;
                _status = conditional.StatusOfTest && !holds ? 1 : 0;
                if (Execute(branch) is { } exit)
                    return exit;
                break;
            case CaseOnLink @case:
                var target = ReadLink(@case.Path);
                _status = 0;
                if (@case.Branches.FirstOrDefault(b => b.Patterns.Any(p => p == "*" || p == target)) is { } matched && Execute(matched.Commands) is { } caseExit)
                    return caseExit;
                break;
            default:
                var (succeeded, reason) = ExecuteSimple(command);
                _pending ??= reason;
                _status = succeeded ? 0 : 1;
                break;
        }
        if (_status == 0)
            return null;
        if (command.ExitOnFailure is { } status)
            return status;
        if (command.FailureIgnored)
            _status = 0;
        return null;
    }

    private (bool Succeeded, string? Pending) ExecuteSimple(ScriptCommand command) => command switch
    {
        NoOp => (true, null),
        AccountCommand account => (ApplyAccount(account), null),
        MakeDirectory mkdir => (mkdir.Paths.Select(p => MakeDirectory(p, mkdir)).ToList().All(ok => ok), null),
        ChangeOwner chown => (chown.Paths.Select(p => ChangeOwner(p, chown)).ToList().All(ok => ok), null),
        ChangeMode chmod => (chmod.Paths.Select(p => ChangeMode(p, chmod)).ToList().All(ok => ok), null),
        Symlink link => (MakeSymlink(link), null),
        Touch touch => (touch.Paths.Select(Touch).ToList().All(ok => ok), null),
        BusyboxInstall => BusyboxLinks(),
        _ => (false, $"'{command}' is not emulated"),
    };

    private bool Holds(Condition condition) => condition switch
    {
        PathTest test => test.Negated != TestPath(test),
        BothTests both => Holds(both.Left) && Holds(both.Right),
        EitherTest either => Holds(either.Left) || Holds(either.Right),
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, null),
    };

    private bool TestPath(PathTest test)
    {
        var real = Inspect(test.Path, followLast: test.Operator != 'L');
        // The root itself is a directory that is not among the nodes.
        var node = real.Length == 0 ? RootNode.Directory() : _root[real];
        return test.Operator switch
        {
            'L' => node is { Kind: NodeKind.Symlink },
            // Still a symlink after following: a loop, which the kernel refuses (ELOOP).
            'e' => node is { Kind: not NodeKind.Symlink },
            'f' => node is { Kind: NodeKind.File },
            'd' => node is { Kind: NodeKind.Directory },
            // As root, busybox's test -x holds for anything with an execute bit.
            'x' => node is { Kind: not NodeKind.Symlink } && (node.Mode & 0b001_001_001) != 0,
            _ => throw new ArgumentOutOfRangeException(nameof(test), test, null),
        };
    }

    /// <summary>`readlink PATH`: the link's target, or empty (its error discarded) when PATH is not a symlink.</summary>
    private string ReadLink(string path) =>
        _root[Inspect(path, followLast: false)] is { Kind: NodeKind.Symlink, LinkTarget: { } target } ? target : "";

    /// <summary>
    /// The real path a test or readlink looks at. /dev and /proc are not modelled (apk's initdb device nodes are
    /// left out, /proc is mounted while scripts run), so looking there makes the script pending.
    /// </summary>
    private string Inspect(string path, bool followLast)
    {
        var real = _root.Resolve(Relative(path), followLast);
        if (real.StartsWith("dev/", StringComparison.Ordinal) || real.StartsWith("proc/", StringComparison.Ordinal))
            _pending ??= $"looking at /{real} is not emulated (not modelled)";
        return real;
    }

    private bool ApplyAccount(AccountCommand command)
    {
        var outcome = Accounts.Apply(command, _days);
        if (!outcome.Succeeded)
            return false;
        Write(Passwd, Accounts.Passwd, 0b110_100_100, 0);
        Write(Group, Accounts.Group, 0b110_100_100, 0);
        Write(Shadow, Accounts.Shadow, 0b110_100_000, Accounts.Gid("shadow") ?? 0);
        if (outcome.Home is { } home)
        {
            // mkdir without parents; a new or existing home is then given to the user with mode 02755.
            var real = _root.Resolve(home.Path.TrimStart('/'));
            var parent = VirtualRoot.Parent(real);
            if (_root[real] is { Kind: NodeKind.Directory } existing)
                _root.Set(real, existing with { Mode = HomeDirectory.Mode, Uid = home.Uid, Gid = home.Gid });
            else if (_root[real] is null && (parent.Length == 0 || _root[parent] is { Kind: NodeKind.Directory }))
                _root.Set(real, RootNode.Directory(HomeDirectory.Mode, home.Uid, home.Gid));
        }
        return true;
    }

    /// <summary>busybox rewrites an account file in place: it keeps the file's mode and owner (and its package).</summary>
    private void Write(string path, byte[]? content, int mode, int gid)
    {
        if (content is null)
            return;
        var real = _root.Resolve(path);
        var existing = _root[real];
        if (existing is { Source: GeneratedSource old } && old.Content.AsSpan().SequenceEqual(content))
            return;
        _root.Set(real, existing is { Kind: NodeKind.File }
            ? existing with { Source = new GeneratedSource(content) }
            : RootNode.Generated(content, mode, 0, gid));
    }

    private AccountDatabase Load() => AccountDatabase.Parse(Content(Passwd), Content(Group), Content(Shadow), _defaultGecos);

    private byte[]? Content(string path) => _root[_root.Resolve(path)]?.Source switch
    {
        GeneratedSource generated => generated.Content,
        PackageEntrySource entry => entry.Package.KeptContents.GetValueOrDefault(entry.Entry.Path),
        _ => null,
    };

    private bool MakeDirectory(string path, MakeDirectory command)
    {
        var real = _root.Resolve(Relative(path));
        var existing = _root[real];
        if (existing is { Kind: not NodeKind.Directory })
            return false;
        if (existing is null && !command.Parents && _root[VirtualRoot.Parent(real)] is not { Kind: NodeKind.Directory } && VirtualRoot.Parent(real).Length > 0)
            return false;
        if (existing is not null && !command.ResetExisting)
            return command.Parents;
        var uid = command.Owner is null ? existing?.Uid ?? 0 : UserId(command.Owner);
        var gid = command.Group is null ? existing?.Gid ?? 0 : GroupId(command.Group);
        if (uid is null || gid is null)
            return false;
        _root.Set(real, (existing ?? RootNode.Directory()) with { Mode = command.Mode, Uid = uid.Value, Gid = gid.Value });
        return true;
    }

    private bool ChangeOwner(string path, ChangeOwner command)
    {
        int? uid = command.Owner is null ? null : UserId(command.Owner);
        int? gid = command.Group is not null ? GroupId(command.Group)
            : command.LoginGroup && command.Owner is not null ? Accounts.PrimaryGid(command.Owner) : null;
        if ((command.Owner is not null && uid is null) || ((command.Group is not null || command.LoginGroup) && gid is null))
            return false;
        var real = _root.Resolve(Relative(path), followLast: !command.NoDereference);
        if (_root[real] is not { } node)
            return false;
        Change(real, n => n with { Uid = uid ?? n.Uid, Gid = gid ?? n.Gid });
        if (command.Recursive && node.Kind == NodeKind.Directory)
        {
            // -R changes what it finds below without following symlinks, links included.
            foreach (var below in _root.Below(real).Order(StringComparer.Ordinal).ToList())
                Change(below, n => n with { Uid = uid ?? n.Uid, Gid = gid ?? n.Gid });
        }
        return true;
    }

    private bool ChangeMode(string path, ChangeMode command)
    {
        var real = _root.Resolve(Relative(path));
        if (_root[real] is not { } node)
            return false;
        Change(real, n => n with { Mode = command.Mode.Apply(n.Mode, n.Kind == NodeKind.Directory) });
        if (command.Recursive && node.Kind == NodeKind.Directory)
        {
            foreach (var below in _root.Below(real).Where(p => _root[p]!.Kind != NodeKind.Symlink).Order(StringComparer.Ordinal).ToList())
                Change(below, n => n with { Mode = command.Mode.Apply(n.Mode, n.Kind == NodeKind.Directory) });
        }
        return true;
    }

    private void Change(string real, Func<RootNode, RootNode> change) => _root.Set(real, change(_root[real]!));

    // busybox ln makes the link inside PATH when it is a directory (followed unless -n); otherwise at PATH itself,
    // so -f replaces a symlink there (even a dangling one) rather than what it points to.
    private bool MakeSymlink(Symlink link)
    {
        var path = Relative(link.Path);
        var followed = _root.Resolve(path, followLast: !link.NoDereference);
        var name = link.Target.TrimEnd('/')[(link.Target.TrimEnd('/').LastIndexOf('/') + 1)..];
        var real = _root[followed] is { Kind: NodeKind.Directory }
            ? _root.Resolve((followed.Length == 0 ? "" : followed + "/") + name, followLast: false)
            : _root.Resolve(path, followLast: false);
        if (_root[real] is { } existing && (!link.Force || existing.Kind == NodeKind.Directory))
            return false;
        if (VirtualRoot.Parent(real) is var parent && parent.Length > 0 && _root[parent] is not { Kind: NodeKind.Directory })
            return false;
        _root.Set(real, RootNode.Symlink(link.Target));
        return true;
    }

    private bool Touch(string path)
    {
        var real = _root.Resolve(Relative(path));
        if (_root[real] is not null)
            return true;
        if (VirtualRoot.Parent(real) is var parent && parent.Length > 0 && _root[parent] is not { Kind: NodeKind.Directory })
            return false;
        _root.Set(real, RootNode.Generated([], 0b110_100_100));
        return true;
    }

    /// <summary>
    /// `busybox --install -s` links every applet to /bin/busybox where nothing exists yet. The applets come from the
    /// list busybox ships in etc/busybox-paths.d; a busybox without that list gets only /bin/sh here, and its script
    /// stays pending so /.pkg/install.sh makes the rest.
    /// </summary>
    private (bool, string?) BusyboxLinks()
    {
        var applets = _applets.Count > 0 ? _applets : ["bin/sh"];
        foreach (var applet in applets.Distinct(StringComparer.Ordinal))
        {
            var real = _root.Resolve(applet, followLast: false);
            if (_root[real] is null && _root[_root.Resolve(VirtualRoot.Parent(real))] is { Kind: NodeKind.Directory })
                _root.Set(real, RootNode.Symlink("/bin/busybox"));
        }
        return (true, _applets.Count > 0 ? null : "this busybox does not list its applets (etc/busybox-paths.d), so only /bin/sh is linked");
    }

    private int? UserId(string name) =>
        Accounts.Uid(name) ?? (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null);

    private int? GroupId(string name) =>
        Accounts.Gid(name) ?? (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null);

    private static string Relative(string path) => path.TrimStart('/');
}
