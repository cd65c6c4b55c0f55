using System.Text;
using Pkg2d.Image.Packages;

namespace Pkg2d.Image.TopLayer;

/// <summary>What an image's own top layer records about the packages below it.</summary>
public sealed record TopLayerSpec
{
    /// <summary>The image's packages in install order.</summary>
    public required IReadOnlyList<PackageFacts> Packages { get; init; }

    /// <summary>The world the image was resolved from (written sorted to etc/apk/world, as apk does).</summary>
    public required IReadOnlyList<string> World { get; init; }

    /// <summary>Repository lines for etc/apk/repositories.</summary>
    public required IReadOnlyList<string> Repositories { get; init; }

    public required string Arch { get; init; }

    /// <summary>Public keys for etc/apk/keys, by file name.</summary>
    public required IReadOnlyList<KeyValuePair<string, byte[]>> Keys { get; init; }

    /// <summary>The modification time of every entry this layer creates.</summary>
    public required DateTimeOffset Created { get; init; }
}

/// <summary>
/// Builds an image's top layer: apk's database (so `apk info` and `apk add` work in the container), apk's
/// configuration, the busybox applet links that busybox's install script would create, and the packages' install
/// scripts under /.pkg with /.pkg/install.sh to run them in apk's order.
/// </summary>
public static class TopLayerBuilder
{
    private static readonly UTF8Encoding Utf8 = new(false);

    public static void Write(TopLayerSpec spec, Stream output)
    {
        using var tar = new TarLayerWriter(output, spec.Created);
        var owned = spec.Packages.SelectMany(p => p.Files).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);

        // A directory a package owns is already in a lower layer, perhaps as a symlink (a merged /usr): the top
        // layer only adds the directories nobody owns, so it never replaces a package's entry.
        void Directories(string path)
        {
            for (var slash = path.IndexOf('/'); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                if (!owned.Contains(path[..slash]))
                    tar.AddDirectory(path[..slash]);
            }
        }

        void AddFile(string path, byte[] content, UnixFileMode mode = TarLayerWriter.File644)
        {
            Directories(path);
            tar.AddFile(path, content, mode);
        }

        // alpine-keys may ship a key here itself (a link into /usr/share/apk/keys): the package's entry stays.
        foreach (var (name, content) in spec.Keys.OrderBy(k => k.Key, StringComparer.Ordinal).Where(k => !owned.Contains("etc/apk/keys/" + k.Key)))
            AddFile("etc/apk/keys/" + name, content);
        AddFile("etc/apk/arch", Text(spec.Arch + "\n"));
        AddFile("etc/apk/repositories", Text(string.Concat(spec.Repositories.Select(r => r + "\n"))));
        AddFile("etc/apk/world", Text(string.Concat(spec.World.Distinct().Order(StringComparer.Ordinal).Select(w => w + "\n"))));
        AddFile("lib/apk/db/installed", InstalledDatabase.ToBytes(spec.Packages));
        AddFile("lib/apk/db/scripts.tar", ScriptsTar(spec.Packages));
        AddFile("lib/apk/db/triggers", Text(Triggers(spec.Packages)));

        AddBusyboxLinks(tar, spec.Packages, owned, Directories);
        AddInstallScripts(spec.Packages, AddFile);
    }

    private static byte[] Text(string text) => Utf8.GetBytes(text);

    /// <summary>apk's scripts.tar: `name-version.C.script` entries, dated with the package's build date.</summary>
    private static byte[] ScriptsTar(IReadOnlyList<PackageFacts> packages)
    {
        using var buffer = new MemoryStream();
        using (var tar = new TarLayerWriter(buffer, DateTimeOffset.UnixEpoch))
        {
            foreach (var package in packages)
            {
                var built = DateTimeOffset.FromUnixTimeSeconds(package.BuildDate);
                foreach (var script in package.Scripts)
                    tar.AddFile($"{package.Name}-{package.Version}.{Checksum(package)}{script.Name}", script.Content, TarLayerWriter.File755, built);
            }
        }
        return buffer.ToArray();
    }

    /// <summary>apk's triggers file: the checksum of each package with triggers, then its trigger globs.</summary>
    private static string Triggers(IReadOnlyList<PackageFacts> packages) => string.Concat(
        packages.Where(p => p.Triggers.Count > 0).Select(p => $"{Checksum(p)} {string.Join(' ', p.Triggers)}\n"));

    private static string Checksum(PackageFacts package) => package.Record.FirstOrDefault(f => f.Key == 'C')?.Value ?? package.Key;

    /// <summary>
    /// Busybox's post-install runs `busybox --install -s`, which links every applet to /bin/busybox where no file
    /// exists. Alpine's busybox lists those paths in etc/busybox-paths.d/busybox; the links are made here instead,
    /// never over a file that a package owns. An older busybox has no such list: then only /bin/sh is linked, so a
    /// shell exists and /.pkg/install.sh can run busybox's own install script for the rest.
    /// </summary>
    private static void AddBusyboxLinks(TarLayerWriter tar, IReadOnlyList<PackageFacts> packages, HashSet<string> owned, Action<string> directories)
    {
        if (!owned.Contains("bin/busybox"))
            return;
        var links = packages.SelectMany(p => p.BusyboxLinks).DefaultIfEmpty("bin/sh").Distinct(StringComparer.Ordinal);
        foreach (var path in links.Where(l => !owned.Contains(l)))
        {
            directories(path);
            tar.AddSymlink(path, "/bin/busybox");
        }
    }

    private static void AddInstallScripts(IReadOnlyList<PackageFacts> packages, Action<string, byte[], UnixFileMode> file)
    {
        var steps = new StringBuilder();
        foreach (var package in packages)
        {
            if (package.Scripts.Count == 0)
                continue;
            foreach (var script in package.Scripts)
                file($".pkg/{package.Name}-{package.Version}/{script.Name.TrimStart('.')}", script.Content, TarLayerWriter.File755);
        }
        // apk installs package by package: pre-install, the files, post-install; triggers run once all are in.
        foreach (var package in packages)
        {
            foreach (var phase in new[] { ".pre-install", ".post-install" }.Where(phase => package.Scripts.Any(s => s.Name == phase)))
                steps.Append($"run {package.Name}-{package.Version} {phase.TrimStart('.')} {package.Version}\n");
        }
        foreach (var package in packages.Where(p => p.Triggers.Count > 0 && p.Scripts.Any(s => s.Name == ".trigger")))
            steps.Append($"trigger {package.Name}-{package.Version} {string.Join(' ', package.Triggers)}\n");
        file(".pkg/install.sh", Text(InstallScript.Replace("@STEPS@", steps.ToString())), TarLayerWriter.File755);
    }

    private const string InstallScript = """
        #!/bin/sh
        # Completes the installation of this image's packages, as apk would: every package's files are already in
        # place, so this runs each package's pre-install and post-install scripts in install order, then the triggers.
        # Use it as `RUN /.pkg/install.sh` where scripts matter (users, groups, generated files).
        failed=0
        run() {
            pkg=$1 script=$2
            shift 2
            echo "Executing $pkg.$script" >&2
            "/.pkg/$pkg/$script" "$@" || { echo "ERROR: $pkg.$script: script exited with error $?" >&2; failed=1; }
        }
        # apk passes a trigger the watched directories that exist; the globs expand when the step runs.
        trigger() {
            pkg=$1
            shift
            dirs=
            for dir in "$@"; do [ -d "$dir" ] && dirs="$dirs $dir"; done
            [ -z "$dirs" ] || run "$pkg" trigger $dirs
        }
        @STEPS@exit $failed

        """;
}
