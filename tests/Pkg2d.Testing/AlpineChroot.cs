using System.Diagnostics;

namespace Pkg2d.Testing;

/// <summary>
/// Alpine's own root filesystem (the x86_64 minirootfs fixture) unpacked into a temp folder, to run its real `apk`
/// in a chroot as a reference ("what would apk do?"). Needs root, `tar` and `chroot`: use it from a
/// <c>[ToolFact("tar", "chroot")]</c>. Deleted on dispose.
/// </summary>
public sealed class AlpineChroot : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-alpine-");

    public AlpineChroot()
    {
        var (code, output) = Run("tar", ["-xzf", Fixtures.MiniRootfs, "-C", Root]);
        if (code != 0)
            throw new InvalidOperationException($"unpacking {Fixtures.MiniRootfs} failed: {output}");
    }

    /// <summary>The chroot's root on the host.</summary>
    public string Root => _dir.Path;

    /// <summary>The host path of a path inside the chroot (`/repo/x86_64` -> `&lt;Root&gt;/repo/x86_64`).</summary>
    public string HostPath(string chrootPath) => Path.Combine(Root, chrootPath.TrimStart('/'));

    /// <summary>Copies a host folder into the chroot at <paramref name="chrootPath"/>.</summary>
    public void CopyIn(string hostFolder, string chrootPath)
    {
        foreach (var file in Directory.EnumerateFiles(hostFolder, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(HostPath(chrootPath), Path.GetRelativePath(hostFolder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>Runs `/sbin/apk` with these arguments inside the chroot; returns its exit code and stdout+stderr.</summary>
    public (int ExitCode, string Output) Apk(params string[] arguments) => Run("chroot", [Root, "/sbin/apk", .. arguments]);

    public void Dispose() => _dir.Dispose();

    private static (int ExitCode, string Output) Run(string tool, string[] arguments)
    {
        var (exit, output, errors) = Tool.Run(tool, arguments);
        return (exit, output + errors);
    }
}
