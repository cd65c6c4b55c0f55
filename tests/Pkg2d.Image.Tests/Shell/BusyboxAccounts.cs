using System.Text;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>The account files before and after a script; null for a file that does not exist.</summary>
public sealed record AccountFiles(byte[]? Passwd, byte[]? Group, byte[]? Shadow)
{
    public static byte[] Text(string text) => Encoding.ASCII.GetBytes(text);
}

/// <summary>
/// Alpine's real busybox (1.36, in the minirootfs) running account scripts in a chroot the way apk runs install
/// scripts: only PATH in the environment, umask 022. One chroot (made on first use), reset before each script.
/// </summary>
public sealed class BusyboxAccounts : IDisposable
{
    private static readonly string[] Files = ["passwd", "group", "shadow"];

    private AlpineChroot? _chroot;
    private AccountFiles? _minirootfs;

    /// <summary>The minirootfs's own etc/passwd, etc/group and etc/shadow.</summary>
    public AccountFiles Minirootfs
    {
        get
        {
            _ = Chroot;
            return _minirootfs!;
        }
    }

    private AlpineChroot Chroot
    {
        get
        {
            if (_chroot is null)
            {
                _chroot = new AlpineChroot();
                _minirootfs = ReadFiles("");
            }
            return _chroot;
        }
    }

    /// <summary>
    /// Installs <paramref name="start"/> as the root's files, runs the script with busybox sh, and returns the
    /// files, their backups (etc/passwd- ...) and the chroot's day (days since 1970) at the end.
    /// </summary>
    public (AccountFiles Files, AccountFiles Backups, long Day) Run(AccountFiles start, string script)
    {
        foreach (var (name, content) in Files.Zip([start.Passwd, start.Group, start.Shadow]))
        {
            var path = Chroot.HostPath("/etc/" + name);
            File.Delete(path);
            File.Delete(path + "-");
            if (content is not null)
                File.WriteAllBytes(path, content);
        }
        var (exit, output, errors) = Tool.Run("chroot",
            [Chroot.Root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "/bin/sh", "-c", "umask 022\n" + script + "\ndate +%s"]);
        if (exit != 0)
            throw new InvalidOperationException($"the script failed ({exit}): {output}{errors}");
        var day = long.Parse(output.Trim().Split('\n')[^1]) / 86400;
        return (ReadFiles(""), ReadFiles("-"), day);
    }

    /// <summary>`stat` of a path inside the chroot: octal mode, uid, gid.</summary>
    public string Stat(string path) => Tool.RunOk("chroot", Chroot.Root, "/bin/stat", "-c", "%a %u %g", path).Trim();

    public void Dispose() => _chroot?.Dispose();

    private AccountFiles ReadFiles(string suffix)
    {
        byte[]? Read(string name)
        {
            var path = Chroot.HostPath("/etc/" + name + suffix);
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        return new AccountFiles(Read("passwd"), Read("group"), Read("shadow"));
    }
}
