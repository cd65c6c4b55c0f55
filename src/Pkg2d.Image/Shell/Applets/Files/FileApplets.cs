using System.Globalization;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// Applets that change the tree as busybox 1.36 does, as root: mkdir, install, chown, chgrp, chmod, ln, rm, rmdir,
/// mv, cp, touch, readlink, realpath. Errors print busybox's message, the operation goes on with the next operand,
/// and the status is 1.
/// </summary>
internal static class FileApplets
{
    private const int DirectoryMode = 0b111_101_101; // 0755
    private const int AllPermissions = 0b111_111_111; // 0777
    private const int FileDefault = 0b110_110_110; // 0666, before the umask

    public static IEnumerable<KeyValuePair<string, Applet>> All =>
    [
        new("mkdir", Mkdir), new("install", Install), new("chown", Chown), new("chgrp", Chgrp), new("chmod", Chmod),
        new("ln", Ln), new("rm", Rm), new("rmdir", Rmdir), new("mv", Mv), new("cp", Cp), new("touch", Touch),
        new("readlink", Readlink), new("realpath", Realpath),
    ];

    private static readonly Dictionary<string, char> MkdirLong = new() { ["mode"] = 'm', ["parents"] = 'p' };

    private static int Mkdir(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "m:pv", MkdirLong);
        var mode = AllPermissions & ~context.Umask;
        if (options.Value('m') is { } spec)
            mode = Mode(context, spec).Apply(AllPermissions, isDirectory: true);
        if (options.Operands.Count == 0)
            throw context.NotEmulated("without a directory");
        var status = 0;
        foreach (var path in options.Operands)
        {
            if (!MakeDirectory(context, path, mode, options.Has('p'), existingIsError: !options.Has('p')))
                status = 1;
        }
        return status;
    }

    /// <summary>mkdir of one path: with <paramref name="parents"/> missing parents are made (0777 under the umask, plus u+wx).</summary>
    private static bool MakeDirectory(AppletContext context, string path, int mode, bool parents, bool existingIsError)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var prefix = path.StartsWith('/') ? "/" : "";
        for (var i = 0; i < parts.Length; i++)
        {
            prefix += (i > 0 ? "/" : "") + parts[i];
            var last = i == parts.Length - 1;
            if (!last && !parents)
                continue;
            var real = context.Real(prefix);
            var node = context.Files[real];
            if (node is { Kind: NodeKind.Directory })
            {
                if (last && existingIsError)
                    return Failed(context, $"can't create directory '{path}': File exists");
                continue;
            }
            if (node is not null || context.Files[context.Real(prefix, followLast: false)] is not null)
                return Failed(context, $"can't create directory '{path}': {(last ? "File exists" : "Not a directory")}");
            var parent = RootFiles.Parent(real);
            if (!context.Files.IsDirectory(parent))
                return Failed(context, $"can't create directory '{path}': {(context.Files[parent] is null ? "No such file or directory" : "Not a directory")}");
            var parentMode = ((AllPermissions & ~context.Umask) | 0b011_000_000) & AllPermissions;
            context.Files.Set(real, RootNode.Directory(last ? mode : parentMode));
        }
        return true;
    }

    private static int Install(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "cdDpsm:o:g:v");
        if (options.Has('s'))
            throw context.NotEmulated("-s");
        int? uid = null, gid = null;
        if (options.Value('o') is { } owner && (uid = UserId(context, owner)) is null)
            return context.Fail($"unknown user {owner}");
        if (options.Value('g') is { } group && (gid = GroupId(context, group)) is null)
            return context.Fail($"unknown group {group}");
        var mode = options.Value('m') is { } spec ? Mode(context, spec).Apply(DirectoryMode, isDirectory: true) : DirectoryMode;
        var status = 0;
        if (options.Has('d'))
        {
            foreach (var path in options.Operands)
            {
                if (!MakeDirectory(context, path, DirectoryMode, parents: true, existingIsError: false))
                {
                    status = 1;
                    continue;
                }
                // install -d sets the mode and owner whether it made the directory or not.
                Change(context, context.Real(path), n => n with { Mode = mode, Uid = uid ?? 0, Gid = gid ?? 0 });
            }
            return status;
        }
        if (options.Operands.Count != 2)
            throw context.NotEmulated(string.Join(' ', context.Arguments));
        var (source, destination) = (options.Operands[0], options.Operands[1]);
        var sourceReal = context.Real(source);
        if (context.Files[sourceReal] is not { Kind: NodeKind.File } sourceNode)
            return context.Fail($"can't stat '{source}': No such file or directory");
        if (options.Has('D') && destination.LastIndexOf('/') is > 0 and var slash && !MakeDirectory(context, destination[..slash], DirectoryMode, parents: true, existingIsError: false))
            return 1;
        var target = context.Real(destination);
        if (context.Files.IsDirectory(target))
            target = context.Real(destination.TrimEnd('/') + "/" + RootFiles.Name(sourceReal));
        if (!context.Files.IsDirectory(RootFiles.Parent(target)))
            return context.Fail($"can't create '{destination}': No such file or directory");
        var fileMode = options.Value('m') is { } fileSpec ? Mode(context, fileSpec).Apply(DirectoryMode, isDirectory: false) : DirectoryMode;
        context.Files.Remove(target);
        context.Files.Set(target, sourceNode with { Mode = fileMode, Uid = uid ?? 0, Gid = gid ?? 0, Owner = null });
        return 0;
    }

    // busybox looks for `.` before `:` (`user.group`); `user:` means the user's primary group.
    private static int Chown(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "RhvcfLHP");
        if (options.Has('L') || options.Has('H'))
            throw context.NotEmulated("-L/-H");
        if (options.Operands.Count < 2)
            return context.Fail("usage: chown [-Rh] USER[:[GRP]] FILE...");
        var spec = options.Operands[0];
        var separator = spec.IndexOf('.') is var dot and >= 0 ? dot : spec.IndexOf(':');
        var (owner, group) = separator < 0 ? (spec, null) : (spec[..separator], spec[(separator + 1)..]);
        int? uid = null, gid = null;
        if (owner.Length > 0 && (uid = UserId(context, owner)) is null)
            return context.Fail($"unknown user/group {spec}");
        if (group is { Length: > 0 } && (gid = GroupId(context, group)) is null)
            return context.Fail($"unknown user/group {spec}");
        if (separator > 0 && group == "")
            gid = context.Host.Accounts.PrimaryGid(owner);
        return ChangeEach(context, options, options.Operands.Skip(1), n => n with { Uid = uid ?? n.Uid, Gid = gid ?? n.Gid });
    }

    private static int Chgrp(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "RhvcfLHP");
        if (options.Has('L') || options.Has('H'))
            throw context.NotEmulated("-L/-H");
        if (options.Operands.Count < 2)
            return context.Fail("usage: chgrp [-Rh] GROUP FILE...");
        var group = options.Operands[0];
        if (GroupId(context, group) is not { } gid)
            return context.Fail($"unknown group {group}");
        return ChangeEach(context, options, options.Operands.Skip(1), n => n with { Gid = gid });
    }

    // chmod keeps `-w`, `-x`... as its mode operand rather than options.
    private static int Chmod(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "Rvcf", isOperand: a => a.Length > 1 && a.Skip(1).All(c => "rwxXst".Contains(c)));
        if (options.Operands.Count < 2)
            return context.Fail("usage: chmod [-R] MODE FILE...");
        var mode = Mode(context, options.Operands[0]);
        var status = 0;
        foreach (var path in options.Operands.Skip(1))
        {
            var real = context.Real(path);
            if (context.Files[real] is not { } node || node.Kind == NodeKind.Symlink)
            {
                status = context.Fail($"{path}: No such file or directory");
                continue;
            }
            Change(context, real, n => n with { Mode = mode.Apply(n.Mode, n.Kind == NodeKind.Directory) });
            if (options.Has('R') && node.Kind == NodeKind.Directory)
            {
                // Symlinks below are neither changed nor followed.
                foreach (var below in Below(context, real).Where(p => context.Files[p]!.Kind != NodeKind.Symlink))
                    Change(context, below, n => n with { Mode = mode.Apply(n.Mode, n.Kind == NodeKind.Directory) });
            }
        }
        return status;
    }

    /// <summary>chown and chgrp: each operand (its link's target unless -h), and with -R everything below, links not followed.</summary>
    private static int ChangeEach(AppletContext context, AppletOptions options, IEnumerable<string> paths, Func<RootNode, RootNode> change)
    {
        var status = 0;
        foreach (var path in paths)
        {
            var real = context.Real(path, followLast: !options.Has('h'));
            if (context.Files[real] is not { } node || (!options.Has('h') && node.Kind == NodeKind.Symlink))
            {
                status = context.Fail($"{path}: No such file or directory");
                continue;
            }
            Change(context, real, change);
            if (options.Has('R') && node.Kind == NodeKind.Directory)
            {
                foreach (var below in Below(context, real))
                    Change(context, below, change);
            }
        }
        return status;
    }

    private static void Change(AppletContext context, string real, Func<RootNode, RootNode> change)
    {
        if (real.Length == 0)
            throw new NotEmulatedException("changing the root directory itself is not emulated");
        context.Files.Set(real, change(context.Files[real]!));
    }

    /// <summary>Every path below a directory, in order.</summary>
    private static List<string> Below(AppletContext context, string real) => [.. context.Files.Tree.Below(real).Order(StringComparer.Ordinal)];

    // busybox ln makes the link inside the last operand when it is a directory (followed unless -n); otherwise at
    // the operand itself, so -f replaces a symlink there (even a dangling one) rather than what it points to.
    private static int Ln(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "sfnbS:vTL");
        if (options.Has('b') || options.Has('S') || options.Has('T'))
            throw context.NotEmulated("-b/-S/-T");
        var operands = options.Operands;
        if (operands.Count == 0)
            return context.Fail("usage: ln [-sfn] TARGET... LINK|DIR");
        if (operands.Count == 1)
            operands = [operands[0], "."];
        var destination = operands[^1];
        var destinationReal = context.Real(destination, followLast: !options.Has('n'));
        var intoDirectory = context.Files.IsDirectory(destinationReal);
        if (operands.Count > 2 && !intoDirectory)
            return context.Fail($"{destination}: Not a directory");
        var status = 0;
        foreach (var target in operands.Take(operands.Count - 1))
        {
            var linkPath = intoDirectory ? destination.TrimEnd('/') + "/" + LastComponent(target) : destination;
            var real = context.Real(linkPath, followLast: false);
            var existing = context.Files[real];
            if (existing is not null && (!options.Has('f') || existing.Kind == NodeKind.Directory))
            {
                status = context.Fail($"{linkPath}: File exists");
                continue;
            }
            if (!context.Files.IsDirectory(RootFiles.Parent(real)))
            {
                status = context.Fail($"{linkPath}: No such file or directory");
                continue;
            }
            if (options.Has('s'))
            {
                context.Files.Set(real, RootNode.Symlink(target));
                continue;
            }
            // A hard link shares the file: here a copy with the same content, mode and owner.
            var targetReal = context.Real(target);
            if (context.Files[targetReal] is not { Kind: NodeKind.File } file)
            {
                status = context.Fail($"{target}: No such file or directory");
                continue;
            }
            context.Files.Set(real, file with { Owner = null });
        }
        return status;
    }

    private static string LastComponent(string path) => path.TrimEnd('/') is var trimmed && trimmed.LastIndexOf('/') is var slash and >= 0 ? trimmed[(slash + 1)..] : path.TrimEnd('/');

    private static int Rm(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "fiRrv");
        if (options.Has('i'))
            throw context.NotEmulated("-i");
        var recursive = options.Has('r') || options.Has('R');
        var status = 0;
        foreach (var path in options.Operands)
        {
            var real = context.Real(path, followLast: false);
            var node = context.Files[real];
            if (node is null)
            {
                if (!options.Has('f'))
                    status = context.Fail($"can't remove '{path}': No such file or directory");
                continue;
            }
            if (node.Kind == NodeKind.Directory && !recursive)
            {
                status = context.Fail($"'{path}' is a directory");
                continue;
            }
            if (real.Length == 0)
                throw new NotEmulatedException("removing the root is not emulated");
            context.Files.Remove(real);
        }
        return status;
    }

    private static int Rmdir(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "pv", new Dictionary<string, char> { ["parents"] = 'p', ["ignore-fail-on-non-empty"] = 'i' });
        var status = 0;
        foreach (var path in options.Operands)
        {
            var current = path.TrimEnd('/');
            while (true)
            {
                var real = context.Real(current, followLast: false);
                if (context.Files[real] is not { } node)
                {
                    status = context.Fail($"'{current}': No such file or directory");
                    break;
                }
                if (node.Kind != NodeKind.Directory)
                {
                    status = context.Fail($"'{current}': Not a directory");
                    break;
                }
                if (context.Files.List(real).Count > 0)
                {
                    if (!options.Has('i'))
                        status = context.Fail($"'{current}': Directory not empty");
                    break;
                }
                context.Files.Remove(real);
                if (!options.Has('p') || current.LastIndexOf('/') is not (> 0 and var slash))
                    break;
                current = current[..slash];
            }
        }
        return status;
    }

    private static int Mv(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "finvT");
        if (options.Has('i') || options.Has('T'))
            throw context.NotEmulated("-i/-T");
        if (options.Operands.Count < 2)
            return context.Fail("usage: mv [-fn] SOURCE... DEST");
        var destination = options.Operands[^1];
        var destinationReal = context.Real(destination);
        var intoDirectory = context.Files.IsDirectory(destinationReal);
        if (options.Operands.Count > 2 && !intoDirectory)
            return context.Fail($"'{destination}' is not a directory");
        var status = 0;
        foreach (var source in options.Operands.Take(options.Operands.Count - 1))
        {
            var from = context.Real(source, followLast: false);
            if (context.Files[from] is not { } node)
            {
                status = context.Fail($"can't stat '{source}': No such file or directory");
                continue;
            }
            var to = intoDirectory ? context.Real(destination.TrimEnd('/') + "/" + LastComponent(source), followLast: false) : context.Real(destination, followLast: false);
            if (to == from)
                continue;
            if (to.StartsWith(from + "/", StringComparison.Ordinal))
            {
                status = context.Fail($"can't rename '{source}': Invalid argument");
                continue;
            }
            var existing = context.Files[to];
            if (existing is not null && options.Has('n'))
                continue;
            if (existing is { Kind: NodeKind.Directory } && (node.Kind != NodeKind.Directory || context.Files.List(to).Count > 0))
            {
                status = context.Fail($"can't rename '{source}': {(node.Kind != NodeKind.Directory ? "Is a directory" : "Directory not empty")}");
                continue;
            }
            if (existing is not null && existing.Kind != NodeKind.Directory && node.Kind == NodeKind.Directory)
            {
                status = context.Fail($"can't rename '{source}': Not a directory");
                continue;
            }
            if (!context.Files.IsDirectory(RootFiles.Parent(to)))
            {
                status = context.Fail($"can't rename '{source}': No such file or directory");
                continue;
            }
            MoveTree(context, from, to);
        }
        return status;
    }

    /// <summary>Moves a node and everything below it. Moved files are no longer where a package's database entry says.</summary>
    private static void MoveTree(AppletContext context, string from, string to)
    {
        var below = Below(context, from).Select(p => (Path: p, Node: context.Files[p]!)).ToList();
        var node = context.Files[from]!;
        context.Files.Remove(to);
        context.Files.Remove(from);
        context.Files.Set(to, node with { Owner = null });
        foreach (var (path, moved) in below)
            context.Files.Set(to + path[from.Length..], moved with { Owner = null });
    }

    private static int Cp(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "apRrdPLHfinvsluT");
        if (options.Has('i') || options.Has('s') || options.Has('l') || options.Has('u') || options.Has('T') || options.Has('H'))
            throw context.NotEmulated("-i/-s/-l/-u/-T/-H");
        var recursive = options.Has('R') || options.Has('r') || options.Has('a');
        var preserve = options.Has('p') || options.Has('a');
        var noDereference = options.Has('d') || options.Has('P') || options.Has('a') || (recursive && !options.Has('L'));
        if (options.Operands.Count < 2)
            return context.Fail("usage: cp [-arPLHpfinlsTu] SOURCE... DEST");
        var destination = options.Operands[^1];
        var intoDirectory = context.Files.IsDirectory(context.Real(destination));
        if (options.Operands.Count > 2 && !intoDirectory)
            return context.Fail($"'{destination}' is not a directory");
        var status = 0;
        foreach (var source in options.Operands.Take(options.Operands.Count - 1))
        {
            var from = context.Real(source, followLast: !noDereference);
            if (context.Files[from] is not { } node)
            {
                status = context.Fail($"can't stat '{source}': No such file or directory");
                continue;
            }
            if (node.Kind == NodeKind.Directory && !recursive)
            {
                status = context.Fail($"omitting directory '{source}'");
                continue;
            }
            var to = intoDirectory ? context.Real(destination.TrimEnd('/') + "/" + LastComponent(source)) : context.Real(destination);
            if (!CopyTree(context, from, to, preserve, options.Has('n')))
                status = 1;
        }
        return status;
    }

    private static bool CopyTree(AppletContext context, string from, string to, bool preserve, bool noClobber)
    {
        if (to == from || to.StartsWith(from + "/", StringComparison.Ordinal))
        {
            context.Fail($"can't copy a directory into itself");
            return false;
        }
        if (!context.Files.IsDirectory(RootFiles.Parent(to)))
        {
            context.Fail($"can't create '/{to}': No such file or directory");
            return false;
        }
        var ok = CopyOne(context, context.Files[from]!, to, preserve, noClobber);
        if (context.Files[from]!.Kind == NodeKind.Directory)
        {
            foreach (var name in context.Files.List(from).ToList())
                ok &= CopyTree(context, from + "/" + name, to + "/" + name, preserve, noClobber);
        }
        return ok;
    }

    private static bool CopyOne(AppletContext context, RootNode node, string to, bool preserve, bool noClobber)
    {
        var existing = context.Files[to];
        if (existing is not null && noClobber)
            return true;
        switch (node.Kind)
        {
            case NodeKind.Directory:
                if (existing is { Kind: NodeKind.Directory })
                {
                    if (preserve)
                        context.Files.Set(to, existing with { Mode = node.Mode, Uid = node.Uid, Gid = node.Gid });
                    return true;
                }
                if (existing is not null)
                {
                    context.Fail($"can't create directory '/{to}': File exists");
                    return false;
                }
                context.Files.Set(to, RootNode.Directory(preserve ? node.Mode : node.Mode & ~context.Umask, preserve ? node.Uid : 0, preserve ? node.Gid : 0));
                return true;
            case NodeKind.Symlink:
                context.Files.Remove(to);
                context.Files.Set(to, RootNode.Symlink(node.LinkTarget ?? ""));
                return true;
            default:
                if (existing is { Kind: NodeKind.Directory })
                {
                    context.Fail($"cannot overwrite directory '/{to}' with non-directory");
                    return false;
                }
                // An existing file is truncated and rewritten: it keeps its mode and owner unless -p.
                if (existing is { Kind: NodeKind.File } && !preserve)
                    context.Files.Set(to, existing with { Source = node.Source });
                else
                    context.Files.Set(to, node with
                    {
                        Mode = preserve ? node.Mode : node.Mode & ~context.Umask & AllPermissions,
                        Uid = preserve ? node.Uid : 0,
                        Gid = preserve ? node.Gid : 0,
                        Owner = existing?.Owner,
                    });
                return true;
        }
    }

    private static int Touch(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "cahmd:t:r:");
        if (options.Has('d') || options.Has('t') || options.Has('r'))
            throw context.NotEmulated("with a time");
        var status = 0;
        foreach (var path in options.Operands)
        {
            var real = context.Real(path);
            if (context.Files[real] is not null || options.Has('c'))
                continue;
            if (!context.Files.IsDirectory(RootFiles.Parent(real)))
            {
                status = context.Fail($"{path}: No such file or directory");
                continue;
            }
            context.Files.Set(real, RootNode.Generated([], FileDefault & ~context.Umask));
        }
        return status;
    }

    /// <summary>`readlink [-fenv] FILE`: a link's target; with -f the canonical path, whose last component may be missing.</summary>
    private static int Readlink(AppletContext context)
    {
        var options = AppletOptions.Parse(context, "fenvsq");
        if (options.Operands is not [var path])
            throw context.NotEmulated(string.Join(' ', context.Arguments));
        var newline = options.Has('n') ? "" : "\n";
        if (options.Has('f') || options.Has('e'))
        {
            var canonical = Canonical(context, path, mustExist: options.Has('e'));
            if (canonical is null)
                return 1;
            context.Output.Write(canonical + newline);
            return 0;
        }
        if (path.Length == 0 || context.Files[context.Real(path, followLast: false)] is not { Kind: NodeKind.Symlink, LinkTarget: { } target })
            return 1;
        context.Output.Write(target + newline);
        return 0;
    }

    private static int Realpath(AppletContext context)
    {
        var status = 0;
        foreach (var path in context.Arguments)
        {
            if (Canonical(context, path, mustExist: true) is { } canonical)
                context.Output.Write(canonical + "\n");
            else
                status = context.Fail($"{path}: No such file or directory");
        }
        return status;
    }

    /// <summary>The absolute path with every link followed; null when a directory on the way (or, with <paramref name="mustExist"/>, the path) is missing.</summary>
    private static string? Canonical(AppletContext context, string path, bool mustExist)
    {
        if (path.Length == 0)
            return null;
        var real = context.Real(path);
        var node = context.Files[real];
        if (node is null && (mustExist || !context.Files.IsDirectory(RootFiles.Parent(real))))
            return null;
        if (node is { Kind: NodeKind.Symlink })
            return null;
        return "/" + real;
    }

    private static ModeSpec Mode(AppletContext context, string text) =>
        ModeSpec.TryParse(text) ?? throw new NotEmulatedException($"'{context.Name}' with the invalid mode '{text}' is not emulated");

    private static bool Failed(AppletContext context, string message)
    {
        context.Fail(message);
        return false;
    }

    /// <summary>A user name, or a number when no such name exists (as busybox takes them).</summary>
    internal static int? UserId(AppletContext context, string name) =>
        context.Host.Accounts.Uid(name) ?? (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null);

    internal static int? GroupId(AppletContext context, string name) =>
        context.Host.Accounts.Gid(name) ?? (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null);
}
