namespace Pkg2d.Image.Shell;

/// <summary>
/// The applets that are also ash builtins (echo, printf, test, true, false, pwd), those that only wait or flush
/// (sleep, sync), which, and the link installers: `busybox --install -s`, `busybox-extras --install -s` and
/// busybox-suid's `bbsuid --install`.
/// </summary>
internal static class SystemApplets
{
    public static IEnumerable<KeyValuePair<string, Applet>> All =>
    [
        new("echo", c => EchoCommand.Run(c.Arguments, c.Output)),
        new("printf", c => PrintfCommand.Run(c.Arguments, c.Output, c.Error)),
        new("test", c => TestCommand.Run("test", c.Arguments, c.Files, c.WorkingDirectory, c.Error)),
        new("[", c => TestCommand.Run("[", c.Arguments, c.Files, c.WorkingDirectory, c.Error)),
        new("[[", c => TestCommand.Run("[[", c.Arguments, c.Files, c.WorkingDirectory, c.Error)),
        new("true", _ => 0),
        new("false", _ => 1),
        new("pwd", c => Write(c, c.WorkingDirectory)),
        // Nothing waits for time to pass in a simulated root, and there is nothing to flush.
        new("sleep", _ => 0),
        new("sync", _ => 0),
        new("which", Which),
    ];

    private static int Write(AppletContext context, string line)
    {
        context.Output.Write(line + "\n");
        return 0;
    }

    /// <summary>`which NAME...`: the first executable of each name along PATH.</summary>
    private static int Which(AppletContext context)
    {
        var status = 0;
        var path = context.Environment.GetValueOrDefault("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        foreach (var name in context.Arguments)
        {
            var candidates = name.Contains('/') ? [name] : path.Split(':').Select(d => (d.Length == 0 ? "." : d.TrimEnd('/')) + "/" + name);
            var found = candidates.FirstOrDefault(c => context.Files[context.Real(c)] is { Kind: Root.NodeKind.File } node && (node.Mode & 0b001_001_001) != 0);
            if (found is null)
                status = 1;
            else
                Write(context, found);
        }
        return status;
    }

    /// <summary>
    /// `busybox --install -s [DIR]` (and busybox-extras'): a symlink to the program, as it was invoked, for each applet
    /// it lists in <paramref name="list"/> (etc/busybox-paths.d) — or, for a busybox without that list, in the applet
    /// table of its binary — where nothing exists yet. Missing directories are reported, not made.
    /// </summary>
    public static int InstallLinks(AppletContext context, string list, string invokedAs, string? directory)
    {
        if (!invokedAs.StartsWith('/'))
            return context.Fail($"'{invokedAs}' is not an absolute path");
        foreach (var applet in Applets(context, list, invokedAs))
        {
            var path = directory is null ? "/" + applet.TrimStart('/') : directory.TrimEnd('/') + "/" + applet[(applet.LastIndexOf('/') + 1)..];
            var link = context.Real(path, followLast: false);
            if (context.Files[link] is not null)
                continue;
            if (!context.Files.IsDirectory(RootFiles.Parent(link)))
            {
                context.Fail($"{path}: No such file or directory");
                continue;
            }
            context.Files.Set(link, Root.RootNode.Symlink(invokedAs));
        }
        return 0;
    }

    private static IEnumerable<string> Applets(AppletContext context, string list, string program)
    {
        var real = context.Real("/" + list);
        if (context.Files[real] is { Kind: Root.NodeKind.File })
            return ShellText.Decode(context.Files.Read(real)).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
        var binary = context.Real(program);
        // The package's facts carry its binary's table, so the binary need not be read again.
        if (context.Files[binary]?.Source is Root.PackageEntrySource { Package.BusyboxApplets: { Count: > 0 } applets })
            return applets;
        return BusyboxAppletTable.Read(context.Files.Read(binary))
            ?? throw new NotEmulatedException($"this {context.Name} lists its applets neither in /{list} nor in a table its binary shows, so '{context.Name} --install' is not emulated");
    }

    /// <summary>The applets busybox-suid's bbsuid takes over.</summary>
    private static readonly string[] SuidApplets =
        ["/bin/mount", "/bin/umount", "/bin/su", "/usr/bin/crontab", "/usr/bin/passwd", "/usr/bin/traceroute", "/usr/bin/traceroute6", "/usr/bin/vlock"];

    /// <summary>
    /// `bbsuid --install`: each of its applets becomes a symlink to /bin/bbsuid, replacing a symlink already there;
    /// a file or directory in the way stays, and the status counts them.
    /// </summary>
    public static int BbsuidInstall(AppletContext context)
    {
        var failures = 0;
        foreach (var path in SuidApplets)
        {
            var link = context.Real(path, followLast: false);
            if (context.Files[link] is { Kind: not Root.NodeKind.Symlink } || !context.Files.IsDirectory(RootFiles.Parent(link)))
            {
                failures++;
                continue;
            }
            context.Files.Remove(link);
            context.Files.Set(link, Root.RootNode.Symlink("/bin/bbsuid"));
        }
        return failures;
    }
}
