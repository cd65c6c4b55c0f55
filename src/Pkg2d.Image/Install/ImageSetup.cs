using Pkg2d.Image.Definition;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;

namespace Pkg2d.Image.Install;

/// <summary>
/// What an image's settings add to the root once apk's install (scripts and triggers) is done, in apko's order:
/// the accounts (as busybox's addgroup and `adduser -D` make them), the paths, then the working directory when the
/// image lacks it. Then the settings are checked against that root: the user and group must be in its accounts
/// (errors), the entrypoint should be found (a warning). Everything changed lands in the top layer.
/// </summary>
internal sealed class ImageSetup(ShellHost host, string image)
{
    private const int DirectoryMode = 0b111_101_101;
    private const string DefaultShell = "/bin/sh";

    private RootFiles Files => host.Files;

    /// <returns>Warnings (an entrypoint not found).</returns>
    public static IReadOnlyList<string> Apply(ShellHost host, string image, ImageSettings settings)
    {
        var setup = new ImageSetup(host, image);
        foreach (var group in settings.Groups ?? [])
            setup.Account(new AddGroup(group.Name, group.Gid, System: false), $"group '{group.Name}'");
        foreach (var user in settings.Users ?? [])
        {
            setup.CheckPlace(user.Home ?? "/home/" + user.Name, $"user '{user.Name}': home");
            setup.Account(new AddUser(user.Name, user.Uid, user.Group, user.Home, Gecos: null, user.Shell ?? DefaultShell, System: false,
                CreateHome: true, Skeleton: null), $"user '{user.Name}'");
        }
        foreach (var directory in settings.Paths ?? [])
            setup.MakeDirectory(directory.Path, directory.Mode, directory.Owner is { } owner ? setup.Owner(owner, $"path {directory.Path}: owner") : (0, 0), replace: true);
        var runAs = settings.User is { } given ? setup.Owner(given, "--user") : (0, 0);
        if (settings.WorkingDir is { } workdir)
            setup.MakeDirectory(workdir, DirectoryMode, runAs, replace: false);
        return setup.EntrypointWarning(settings, settings.Path) is { } warning ? [warning] : [];
    }

    private void Account(AccountCommand command, string what)
    {
        var accounts = host.Accounts;
        var outcome = accounts.Apply(command, host.Day);
        if (!outcome.Succeeded)
            throw new ArgumentException($"image '{image}': accounts: {what}: {outcome.Error}");
        host.SaveAccounts(accounts);
        if (outcome.Home?.MakeIn(Files, path => Files.Tree.Resolve(path.TrimStart('/'))) is { } error)
            throw new ArgumentException($"image '{image}': accounts: {what}: {error}");
    }

    /// <summary>`USER[:GROUP]` as ids: names from the image's accounts; a user alone brings its primary group.</summary>
    private (int Uid, int Gid) Owner(string owner, string field)
    {
        var accounts = host.Accounts;
        var parts = owner.Split(':');
        int uid;
        int? primary = null;
        if (SettingSyntax.IsNumber(parts[0]))
            uid = SettingSyntax.Id(parts[0], field);
        else
        {
            uid = accounts.Uid(parts[0]) ?? throw new ArgumentException(
                $"image '{image}': {field} '{owner}': the image has no user '{parts[0]}' (its etc/passwd: {Names(accounts.PasswdLines)})");
            primary = accounts.PrimaryGid(parts[0]);
        }
        if (parts.Length == 1)
            return (uid, primary ?? 0);
        if (SettingSyntax.IsNumber(parts[1]))
            return (uid, SettingSyntax.Id(parts[1], field));
        var gid = accounts.Gid(parts[1]) ?? throw new ArgumentException(
            $"image '{image}': {field} '{owner}': the image has no group '{parts[1]}' (its etc/group: {Names(accounts.GroupLines)})");
        return (uid, gid);
    }

    private static string Names(IReadOnlyList<string> lines) =>
        lines.Count == 0 ? "empty" : string.Join(' ', lines.Select(l => l.Split(':')[0]));

    /// <summary>
    /// `mkdir -p` of <paramref name="path"/> (parents 0755 root), then the directory gets the mode and owner; one that
    /// exists keeps its own unless <paramref name="replace"/>.
    /// </summary>
    private void MakeDirectory(string path, int mode, (int Uid, int Gid) owner, bool replace)
    {
        var real = CheckPlace(path, "path");
        if (Files[real] is { } existing)
        {
            if (existing.Kind != NodeKind.Directory)
                throw new ArgumentException($"image '{image}': {path} is in the image, but not a directory");
            if (replace)
                Files.Set(real, existing with { Mode = mode, Uid = owner.Uid, Gid = owner.Gid });
            return;
        }
        var parent = RootFiles.Parent(real);
        if (parent.Length > 0 && !Files.IsDirectory(parent))
            MakeDirectory("/" + parent, DirectoryMode, (0, 0), replace: false);
        Files.Set(real, RootNode.Directory(mode, owner.Uid, owner.Gid));
    }

    /// <summary>
    /// The real path of a directory to make: not the root itself, nor in /dev, /proc or /sys, which the runtime
    /// mounts over the image.
    /// </summary>
    private string CheckPlace(string path, string what)
    {
        var real = Files.Tree.Resolve(path.TrimStart('/'));
        if (real.Length == 0)
            throw new ArgumentException($"image '{image}': {what} {path} is the root itself");
        if (RootFiles.IsUnmodelled(real) || real is "dev" or "proc" or "sys")
            throw new ArgumentException($"image '{image}': {what} {path} belongs to the runtime (/dev, /proc and /sys are mounted over the image)");
        return real;
    }

    /// <summary>The program the image starts (entrypoint, else command) should be an executable file of it, found as the runtime finds it.</summary>
    private string? EntrypointWarning(ImageSettings settings, string path)
    {
        var program = (settings.Entrypoint is { Count: > 0 } entrypoint ? entrypoint : settings.Cmd is { Count: > 0 } cmd ? cmd : null)?[0];
        if (program is null)
            return null;
        var workdir = settings.WorkingDir ?? "/";
        var candidates = program.Contains('/')
            ? [program]
            : path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => d.TrimEnd('/') + "/" + program);
        foreach (var candidate in candidates)
        {
            if (Files.Tree.Resolve((candidate.StartsWith('/') ? candidate : workdir.TrimEnd('/') + "/" + candidate).TrimStart('/')) is var real
                && Files[real] is { Kind: NodeKind.File } file && (file.Mode & 0b001_001_001) != 0)
                return null;
        }
        return program.Contains('/')
            ? $"image '{image}': the entrypoint {program} is not an executable file of the image"
            : $"image '{image}': the entrypoint '{program}' is not found in the image's PATH ({path})";
    }
}
