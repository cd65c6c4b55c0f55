namespace Pkg2d.Testing;

/// <summary>A repository for <see cref="ApkInstallOracle"/>: its base folder (`Base/x86_64/APKINDEX.tar.gz`) and the key folders to trust.</summary>
public sealed record OracleRepository(string Base, IReadOnlyList<string> KeysDirs)
{
    public static implicit operator OracleRepository(SyntheticRepository repository) => new(repository.Base, [repository.KeysDir]);

    public static implicit operator OracleRepository(MinirootfsRepository repository) => new(repository.Base, repository.KeysDirs);
}

/// <summary>What real apk did: its exit code, everything it printed, and the host path of the root it made.</summary>
public sealed record OracleInstall(int ExitCode, string Output, string Root)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Real apk-tools installing a world into a fresh root: 2.14.4 (<see cref="ApkInstallOracle"/>) or 3.0.6 (<see cref="Apk3InstallOracle"/>).</summary>
public interface IInstallOracle : IDisposable
{
    /// <summary>Installs <paramref name="world"/> from <paramref name="repositories"/> (searched in this order) into a fresh root.</summary>
    OracleInstall Install(IReadOnlyList<string> world, params OracleRepository[] repositories);

    /// <summary>For messages: `apk 2.14.4`, `apk 3.0.6`.</summary>
    string Name { get; }
}

public static class InstallOracles
{
    /// <summary>The oracle of an apk-tools generation (2 or 3).</summary>
    public static IInstallOracle Of(int apkTools) => apkTools == 3 ? new Apk3InstallOracle() : new ApkInstallOracle();

    /// <summary>Like <see cref="IInstallOracle.Install"/>, but a failing apk fails the caller with everything it printed; the root's host path.</summary>
    public static string InstallOk(this IInstallOracle oracle, IReadOnlyList<string> world, params OracleRepository[] repositories)
    {
        var result = oracle.Install(world, repositories);
        if (!result.Succeeded)
            throw new InvalidOperationException($"{oracle.Name} add {string.Join(' ', world)} exited with {result.ExitCode}:\n{result.Output}");
        return result.Root;
    }
}

/// <summary>
/// Installs worlds with Alpine's real apk-tools 2.14.4 (the minirootfs fixture, in a chroot), scripts on, as
/// `apk add --initdb --root R --repository /repo... --keys-dir /keys --no-cache WORLD`: the golden answer an image
/// built from the same packages must equal. Signatures are checked; an absolute `--keys-dir` is read from the chroot,
/// so the keys leave no trace in R. Each install gets a fresh root. Needs root (see <see cref="ChrootFactAttribute"/>).
/// Deleted with everything it made on dispose.
/// </summary>
public sealed class ApkInstallOracle : IInstallOracle
{
    private readonly AlpineChroot _chroot = new();
    private int _installs;

    public string Name => "apk 2.14.4";

    public OracleInstall Install(IReadOnlyList<string> world, params OracleRepository[] repositories)
    {
        var install = ++_installs;
        var keys = $"/oracle/{install}/keys";
        var root = $"/oracle/{install}/root";
        List<string> arguments = ["add", "--initdb", "--root", root, "--keys-dir", keys, "--no-cache"];
        for (var i = 0; i < repositories.Length; i++)
        {
            var repository = $"/oracle/{install}/repo{i}";
            _chroot.CopyIn(repositories[i].Base, repository);
            foreach (var keysDir in repositories[i].KeysDirs)
                _chroot.CopyIn(keysDir, keys);
            arguments.AddRange(["--repository", repository]);
        }
        Directory.CreateDirectory(_chroot.HostPath(keys));
        Directory.CreateDirectory(_chroot.HostPath(root));
        var (exitCode, output) = _chroot.Apk([.. arguments, .. world]);
        return new OracleInstall(exitCode, output, _chroot.HostPath(root));
    }

    public void Dispose() => _chroot.Dispose();
}
