using Pkg2d.Testing;

namespace Pkg2d.Bench;

/// <summary>
/// Writes the test suite's minirootfs repository (the x86_64 minirootfs regrouped into signed packages) to a folder that
/// outlives the process, for bench/run's comparison with Alpine's apk: `DIR/repo/x86_64/` (index and packages),
/// `DIR/keys/` (the test key beside Alpine's keys, which signed busybox) and `DIR/world` (the rootfs's world, one a line).
/// </summary>
public static class MinirootfsRepo
{
    public static void Write(string dir)
    {
        using var repository = new MinirootfsRepository();
        var arch = Path.Combine(dir, "repo", MinirootfsRepository.Arch);
        var keys = Path.Combine(dir, "keys");
        Directory.CreateDirectory(arch);
        Directory.CreateDirectory(keys);
        foreach (var file in Directory.GetFiles(repository.ArchDir))
            File.Copy(file, Path.Combine(arch, Path.GetFileName(file)), overwrite: true);
        foreach (var keysDir in repository.KeysDirs)
            foreach (var file in Directory.GetFiles(keysDir))
                File.Copy(file, Path.Combine(keys, Path.GetFileName(file)), overwrite: true);
        File.WriteAllLines(Path.Combine(dir, "world"), repository.World);
        Console.WriteLine($"{dir}: {repository.Versions.Count} packages, world {string.Join(' ', repository.World)}");
    }
}
