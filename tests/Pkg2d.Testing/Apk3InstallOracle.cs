namespace Pkg2d.Testing;

/// <summary>
/// Installs worlds with Alpine's apk-tools 3.0.6 (the static build in the fixtures' tools, run on the host as root
/// with `--root`), scripts on, as `apk add --root R --initdb --keys-dir K --no-cache --arch x86_64 --repository ...
/// WORLD`: the golden answer for images of Alpine 3.23 and later. Each install gets a fresh root; everything is
/// deleted on dispose.
/// </summary>
public sealed class Apk3InstallOracle : IInstallOracle
{
    private readonly TempDirectory _dir = new("pkg2d-apk3-");
    private int _installs;

    public static string Binary => Fixtures.Path("tools", "apk-tools-3.0.6", "apk");

    public string Name => "apk 3.0.6";

    public OracleInstall Install(IReadOnlyList<string> world, params OracleRepository[] repositories)
    {
        var install = ++_installs;
        var keys = _dir.Combine(install.ToString(System.Globalization.CultureInfo.InvariantCulture), "keys");
        var root = _dir.Combine(install.ToString(System.Globalization.CultureInfo.InvariantCulture), "root");
        Directory.CreateDirectory(keys);
        Directory.CreateDirectory(root);
        List<string> arguments = ["add", "--root", root, "--initdb", "--keys-dir", keys, "--no-cache", "--arch", "x86_64"];
        foreach (var repository in repositories)
        {
            foreach (var key in repository.KeysDirs.SelectMany(Directory.GetFiles))
                File.Copy(key, Path.Combine(keys, Path.GetFileName(key)), overwrite: true);
            arguments.AddRange(["--repository", repository.Base]);
        }
        var (exit, output, errors) = Tool.Run(Binary, [.. arguments, .. world]);
        return new OracleInstall(exit, output + errors, root);
    }

    public void Dispose() => _dir.Dispose();
}
