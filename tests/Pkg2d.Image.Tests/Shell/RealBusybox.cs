using System.Text;
using Pkg2d.Image.Root;
using Pkg2d.Image.Shell;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>A path an applet case starts with, relative to its working directory: a file, a folder or a symlink.</summary>
public sealed record CaseFile(string Path, string? Content, int Mode, string? LinkTarget = null, int Uid = 0, int Gid = 0)
{
    public static CaseFile File(string path, string content, int mode = 0b110_100_100, int uid = 0, int gid = 0) => new(path, content, mode, null, uid, gid);

    public static CaseFile Directory(string path, int mode = 0b111_101_101) => new(path, null, mode);

    public static CaseFile Link(string path, string target) => new(path, null, 0b111_111_111, target);
}

/// <summary>One run of an applet: its arguments, its standard input (Latin-1, one char a byte) and its files.</summary>
public sealed record AppletCase(string Applet, string[] Arguments, string Stdin = "", params CaseFile[] Files)
{
    /// <summary>Only whether something went to stderr is compared (usage texts and the like are not emulated word for word).</summary>
    public bool LooseStderr { get; init; }

    public override string ToString()
    {
        var text = new StringBuilder(Applet);
        foreach (var argument in Arguments)
            text.Append(' ').Append(RealBusybox.Quote(argument));
        if (Stdin.Length > 0)
            text.Append(" <<< ").Append(RealBusybox.Quote(Stdin));
        foreach (var file in Files)
        {
            text.Append(" [").Append(file.Path).Append(file.Content is { } content ? "=" + RealBusybox.Quote(content) : file.LinkTarget is { } target ? " -> " + target : "/");
            if (file.LinkTarget is null && file.Mode != (file.Content is null ? 0b111_101_101 : 0b110_100_100))
                text.Append(' ').Append(Convert.ToString(file.Mode, 8));
            if (file.Uid != 0 || file.Gid != 0)
                text.Append($" {file.Uid}:{file.Gid}");
            text.Append(']');
        }
        return text.ToString();
    }
}

/// <summary>
/// What a run left: standard output and error, the exit status, and every path below the working directory
/// (`PATH kind mode uid:gid` and a file's content or a link's target).
/// </summary>
public sealed record AppletOutcome(string Stdout, string Stderr, int Status, IReadOnlyList<string> Files)
{
    /// <summary>The outcome with stderr reduced to whether there was any.</summary>
    public AppletOutcome Loosely() => this with { Stderr = Stderr.Length > 0 ? "(some message)" : "" };

    public override string ToString() =>
        $"status {Status}\nstdout {RealBusybox.Quote(Stdout)}\nstderr {RealBusybox.Quote(Stderr)}\nfiles:\n  {string.Join("\n  ", Files)}";
}

/// <summary>
/// Alpine's real busybox 1.36.1 (the minirootfs fixture in a chroot) and the emulated applets, run on the same
/// cases. Cases run in batches, one chroot launch per batch: each case in a folder of its own, with busybox sh as
/// apk runs scripts (only PATH set, umask 022), its standard input from a file.
/// </summary>
public sealed class RealBusybox : IDisposable
{
    private const int Umask = 0b000_010_010;
    private AlpineChroot? _chroot;
    private int _batches;

    private AlpineChroot Chroot => _chroot ??= new AlpineChroot();

    /// <summary>The working directory of case <paramref name="index"/> of batch <paramref name="batch"/>, inside the root.</summary>
    public static string CaseDirectory(int batch, int index) => $"/c/{batch}/{index}";

    /// <summary>Runs every case with the real busybox, in one chroot launch; the batch number places the cases' folders.</summary>
    public (int Batch, IReadOnlyList<AppletOutcome> Outcomes) Run(IReadOnlyList<AppletCase> cases)
    {
        var batch = _batches++;
        var script = new StringBuilder("umask 022\n");
        Directory.CreateDirectory(Chroot.HostPath($"/in/{batch}"));
        Directory.CreateDirectory(Chroot.HostPath($"/out/{batch}"));
        for (var i = 0; i < cases.Count; i++)
        {
            var directory = CaseDirectory(batch, i);
            Directory.CreateDirectory(Chroot.HostPath(directory));
            foreach (var file in cases[i].Files)
            {
                var path = Chroot.HostPath(directory + "/" + file.Path);
                if (file.LinkTarget is { } target)
                {
                    File.CreateSymbolicLink(path, target);
                    continue;
                }
                if (file.Content is { } content)
                    File.WriteAllBytes(path, ShellText.Encode(content));
                else
                    Directory.CreateDirectory(path);
                script.Append($"chmod {Convert.ToString(file.Mode, 8)} {Quote(directory + "/" + file.Path)}\n");
                if (file.Uid != 0 || file.Gid != 0)
                    script.Append($"chown {file.Uid}:{file.Gid} {Quote(directory + "/" + file.Path)}\n");
            }
            File.WriteAllBytes(Chroot.HostPath($"/in/{batch}/{i}"), ShellText.Encode(cases[i].Stdin));
            script.Append($"cd {directory} && /bin/busybox {cases[i].Applet}");
            foreach (var argument in cases[i].Arguments)
                script.Append(' ').Append(Quote(argument));
            script.Append($" </in/{batch}/{i} >/out/{batch}/{i}.out 2>/out/{batch}/{i}.err; echo $? >/out/{batch}/{i}.rc\n");
        }
        script.Append($"cd / && find c/{batch} -mindepth 2 -exec stat -c '%n|%F|%a|%u|%g' {{}} + >/out/{batch}/list\n");
        File.WriteAllBytes(Chroot.HostPath($"/in/{batch}.sh"), ShellText.Encode(script.ToString()));
        var (exit, output, errors) = Tool.Run("chroot",
            [Chroot.Root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", $"/in/{batch}.sh"]);
        if (exit != 0)
            throw new InvalidOperationException($"the batch script failed ({exit}): {output}{errors}");

        var listing = File.ReadAllLines(Chroot.HostPath($"/out/{batch}/list"))
            .Select(line => line.Split('|'))
            .Select(fields => fields.Length == 5 && fields[0].Split('/').Length > 3 ? fields : throw new InvalidOperationException($"unexpected listing line {string.Join('|', fields)}"))
            .ToLookup(fields => int.Parse(fields[0].Split('/')[2]));
        return (batch, cases.Select((_, i) => new AppletOutcome(
            Read($"/out/{batch}/{i}.out"),
            Read($"/out/{batch}/{i}.err"),
            int.Parse(Read($"/out/{batch}/{i}.rc").Trim()),
            listing[i].Select(fields => Describe(batch, i, fields)).Order(StringComparer.Ordinal).ToList())).ToList());
    }

    /// <summary>Runs a case with the emulated applet over a root holding the same files; null when it is not emulated.</summary>
    public static AppletOutcome? Emulate(AppletCase @case, int batch, int index)
    {
        var directory = CaseDirectory(batch, index);
        var tree = new VirtualRoot();
        tree.Set(directory.TrimStart('/'), RootNode.Directory());
        foreach (var file in @case.Files)
        {
            var real = directory.TrimStart('/') + "/" + file.Path;
            tree.Set(real, file.LinkTarget is { } target ? RootNode.Symlink(target)
                : file.Content is { } content ? RootNode.Generated(ShellText.Encode(content), file.Mode, file.Uid, file.Gid)
                : RootNode.Directory(file.Mode, file.Uid, file.Gid));
        }
        var files = new RootFiles(tree);
        var (output, error) = (new BufferOutput(), new BufferOutput());
        var context = new AppletContext
        {
            Name = @case.Applet,
            Arguments = @case.Arguments,
            Host = new ShellHost(files, day: 20000),
            WorkingDirectory = directory,
            Umask = Umask,
            Input = new ShellInput(ShellText.Encode(@case.Stdin)),
            Output = output,
            Error = error,
            Environment = new Dictionary<string, string> { ["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin" },
        };
        var applet = BusyboxApplets.Find(@case.Applet) ?? throw new InvalidOperationException($"{@case.Applet} is not an emulated applet");
        int status;
        try
        {
            status = applet(context);
        }
        catch (NotEmulatedException)
        {
            return null;
        }
        var prefix = directory.TrimStart('/') + "/";
        var paths = tree.Nodes.Where(n => n.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => Describe(n.Key[prefix.Length..], n.Value, n.Value.Kind == NodeKind.File ? files.Read(n.Key) : null))
            .Order(StringComparer.Ordinal).ToList();
        return new AppletOutcome(output.Text, error.Text, status, paths);
    }

    public void Dispose() => _chroot?.Dispose();

    /// <summary>Single-quotes a word for sh (and for readable test names).</summary>
    public static string Quote(string text) => "'" + text.Replace("'", @"'\''") + "'";

    private string Read(string path) => ShellText.Decode(File.ReadAllBytes(Chroot.HostPath(path)));

    private string Describe(int batch, int index, string[] fields)
    {
        var relative = fields[0][$"c/{batch}/{index}/".Length..];
        var host = Chroot.HostPath(fields[0]);
        var (kind, content) = fields[1] switch
        {
            "directory" => (NodeKind.Directory, null),
            "symbolic link" => (NodeKind.Symlink, new FileInfo(host).LinkTarget),
            _ => (NodeKind.File, ShellText.Decode(File.ReadAllBytes(host))),
        };
        return Describe(relative, kind, Convert.ToInt32(fields[2], 8), fields[3] + ":" + fields[4], content);
    }

    private static string Describe(string path, RootNode node, byte[]? content) =>
        Describe(path, node.Kind, node.Mode, $"{node.Uid}:{node.Gid}", node.Kind == NodeKind.Symlink ? node.LinkTarget : content is null ? null : ShellText.Decode(content));

    private static string Describe(string path, NodeKind kind, int mode, string owner, string? content) => kind switch
    {
        NodeKind.Directory => $"{path} dir {Convert.ToString(mode, 8)} {owner}",
        NodeKind.Symlink => $"{path} -> {content}",
        _ => $"{path} file {Convert.ToString(mode, 8)} {owner} {Quote(content ?? "")}",
    };
}
