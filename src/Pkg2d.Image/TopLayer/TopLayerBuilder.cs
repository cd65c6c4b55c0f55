using Pkg2d.Image.Root;
using System.Text;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Install;
using Pkg2d.Apk.Format;
using Pkg2d.Image.Packages;
using Pkg2d.Resolve;

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

    /// <summary>Which apk-tools' database files to write.</summary>
    public ApkToolsGeneration ApkTools { get; init; } = ApkToolsGeneration.V2;
}

/// <summary>
/// Builds an image's top layer as the difference between the root apk would make (<see cref="InstallSimulator"/>,
/// plus apk's database and configuration added here) and what the package layers unpack to: apk's own files, the
/// accounts and directories emulated scripts made, owners mapped by name, the winners of file conflicts, whiteouts
/// for what apk never installs, and for scripts that are not emulated `/.pkg/install.sh` to run them.
/// </summary>
public static class TopLayerBuilder
{
    private static readonly UTF8Encoding Utf8 = new(false);

    /// <summary>Adds apk's database and configuration files and, for pending scripts, /.pkg to the installed root.</summary>
    public static void AddApkFiles(TopLayerSpec spec, InstallResult install)
    {
        var root = install.Root;
        void File(string path, byte[] content, int mode = 0b110_100_100)
        {
            var real = root.Resolve(path);
            if (root[real] is null || root[real]!.Owner is null)
                root.Set(real, RootNode.Generated(content, mode));
        }

        // alpine-keys may ship a key here itself (a link into /usr/share/apk/keys): the package's entry stays.
        foreach (var (name, content) in spec.Keys.OrderBy(k => k.Key, StringComparer.Ordinal))
            File("etc/apk/keys/" + name, content);
        File("etc/apk/arch", Text(spec.Arch + "\n"));
        File("etc/apk/repositories", Text(string.Concat(spec.Repositories.Select(r => r + "\n"))));
        File("etc/apk/world", Text(string.Concat(spec.World.Distinct().Order(StringComparer.Ordinal).Select(w => w + "\n"))));
        File("lib/apk/db/installed", InstalledDatabase.ToBytes(install.Installed, spec.ApkTools));
        if (spec.ApkTools == ApkToolsGeneration.V3)
        {
            // apk 3 takes no lock on a new root (lib/apk/db does not exist yet when it tries) and gzips its scripts.
            File("lib/apk/db/scripts.tar.gz", GzipMemberWriter.Compress(ScriptsTar(spec.Packages.OrderBy(p => p.Name, NameOrder.Instance), HexIdentity), 9));
        }
        else
        {
            File("lib/apk/db/lock", [], 0b110_000_000);
            File("lib/apk/db/scripts.tar", ScriptsTar(spec.Packages, Checksum));
        }
        File("lib/apk/db/triggers", Text(Triggers(spec.Packages)));
        AddInstallScripts(install, File);
    }

    /// <summary>The top layer's parts: its own entries, then copies of the package files whose owner or winner differs.</summary>
    public static IReadOnlyList<LayerPart> Build(VirtualRoot expected, VirtualRoot layers, DateTimeOffset created)
    {
        var own = new MemoryStream();
        var copies = new List<(PackageFacts Package, PackageFile Entry, string Path, RootNode Node)>();
        using (var tar = new TarLayerWriter(own, created))
        {
            foreach (var path in expected.Nodes.Keys.Union(layers.Nodes.Keys).Order(StringComparer.Ordinal))
            {
                var want = expected[path];
                var have = layers[path];
                if (want is null)
                {
                    // Only where the parent stays a directory: under a path that becomes a file it is gone anyway.
                    var parent = VirtualRoot.Parent(path);
                    if (have is not null && (parent.Length == 0 || expected[parent] is { Kind: NodeKind.Directory }))
                        tar.AddWhiteout(path);
                    continue;
                }
                if (have is not null && want.SameAs(have))
                    continue;
                switch (want.Kind)
                {
                    case NodeKind.Directory:
                        tar.AddDirectory(path, (UnixFileMode)want.Mode, want.Uid, want.Gid);
                        break;
                    case NodeKind.Symlink:
                        tar.AddSymlink(path, want.LinkTarget ?? "", want.Uid, want.Gid);
                        break;
                    case NodeKind.File when want.Source is GeneratedSource generated:
                        tar.AddFile(path, generated.Content, (UnixFileMode)want.Mode, null, want.Uid, want.Gid);
                        break;
                    case NodeKind.File when want.Source is PackageEntrySource entry:
                        copies.Add((entry.Package, entry.Entry, path, want));
                        break;
                }
            }
        }
        var parts = new List<LayerPart> { new OwnEntries(WithoutEndMarker(own)) };
        foreach (var group in copies.GroupBy(c => c.Package))
        {
            // One part per copy of a tar entry: a hard link is copied as the file it links to.
            var changes = new Dictionary<string, EntryChange>(StringComparer.Ordinal);
            foreach (var copy in group)
            {
                var entry = copy.Entry.Type == PackageFileType.HardLink ? copy.Entry.LinkTarget ?? copy.Entry.Path : copy.Entry.Path;
                var change = new EntryChange(copy.Path, new EntryOwner(copy.Node.Uid, copy.Node.Gid, copy.Entry.UserName, copy.Entry.GroupName), copy.Node.Mode);
                if (!changes.TryAdd(entry, change))
                {
                    parts.Add(new PackageEntries(group.Key, changes, OnlyChanged: true));
                    changes = new Dictionary<string, EntryChange>(StringComparer.Ordinal) { [entry] = change };
                }
            }
            parts.Add(new PackageEntries(group.Key, changes, OnlyChanged: true));
        }
        return parts;
    }

    /// <summary>The entries of a finished tar without its end-of-archive marker, so parts can follow them.</summary>
    private static byte[] WithoutEndMarker(MemoryStream tar)
    {
        var bytes = tar.ToArray();
        var end = bytes.Length;
        while (end >= 512 && bytes.AsSpan(end - 512, 512).IndexOfAnyExcept((byte)0) < 0)
            end -= 512;
        return bytes[..end];
    }

    private static byte[] Text(string text) => Utf8.GetBytes(text);

    /// <summary>apk's order of script types within a package in scripts.tar.</summary>
    private static readonly string[] ScriptOrder =
        [".pre-install", ".post-install", ".pre-deinstall", ".post-deinstall", ".pre-upgrade", ".post-upgrade", ".trigger"];

    /// <summary>
    /// apk's scripts.tar, byte for byte as apk-tools writes it: per unpacked package (apk 2.14: in install order; apk
    /// 3: in name order), its scripts in apk's order as `name-version.IDENTITY.script` (apk 2.14: the `C:`
    /// checksum, `Q1…`; apk 3: `X1` and its hex), mode 0755, dated with the package's build date, GNU-style headers.
    /// </summary>
    private static byte[] ScriptsTar(IEnumerable<PackageFacts> packages, Func<PackageFacts, string> identity)
    {
        using var buffer = new MemoryStream();
        foreach (var package in packages.Where(p => p.IsUnpacked))
        {
            foreach (var script in package.Scripts.OrderBy(s => Array.IndexOf(ScriptOrder, s.Name) is var i and >= 0 ? i : ScriptOrder.Length))
            {
                buffer.Write(ApkTarHeader($"{package.Name}-{package.Version}.{identity(package)}{script.Name}", script.Content.Length, package.BuildDate));
                buffer.Write(script.Content);
                buffer.Write(new byte[(512 - script.Content.Length % 512) % 512]);
            }
        }
        buffer.Write(new byte[1024]);
        return buffer.ToArray();
    }

    /// <summary>The header apk-tools' tar writer makes: 0755 root:root, 12-digit size and time, GNU magic.</summary>
    private static byte[] ApkTarHeader(string name, long size, long modified)
    {
        var header = new byte[512];
        var bytes = Utf8.GetBytes(name);
        bytes.AsSpan(0, Math.Min(bytes.Length, 100)).CopyTo(header);
        "0000755\0"u8.CopyTo(header.AsSpan(100));
        "0000000\0"u8.CopyTo(header.AsSpan(108));
        "0000000\0"u8.CopyTo(header.AsSpan(116));
        Encoding.ASCII.GetBytes(Convert.ToString(size, 8).PadLeft(12, '0'), header.AsSpan(124, 12));
        Encoding.ASCII.GetBytes(Convert.ToString(modified, 8).PadLeft(12, '0'), header.AsSpan(136, 12));
        header[156] = (byte)'0';
        "ustar  \0"u8.CopyTo(header.AsSpan(257));
        "root"u8.CopyTo(header.AsSpan(265));
        "root"u8.CopyTo(header.AsSpan(297));
        RawTarEntry.Checksum(header);
        return header;
    }

    /// <summary>apk's triggers file: the checksum of each package with triggers, then its trigger globs.</summary>
    private static string Triggers(IReadOnlyList<PackageFacts> packages) => string.Concat(
        packages.Where(p => p.IsUnpacked && p.Triggers.Count > 0).Select(p => $"{Checksum(p)} {string.Join(' ', p.Triggers)}\n"));

    private static string Checksum(PackageFacts package) => package.Record.FirstOrDefault(f => f.Key == 'C')?.Value ?? package.Key;

    /// <summary>apk 3's form of a package's identity: `X1` (`X2` for SHA-256) and the digest in lowercase hex.</summary>
    private static string HexIdentity(PackageFacts package)
    {
        var checksum = Checksum(package);
        return checksum.Length > 2 && checksum[0] == 'Q' && checksum[1] is '1' or '2'
            ? "X" + checksum[1] + Convert.ToHexStringLower(Convert.FromBase64String(checksum[2..]))
            : checksum;
    }

    /// <summary>
    /// The scripts pkg2d does not emulate, under /.pkg/&lt;name&gt;-&lt;version&gt;/, and /.pkg/install.sh, which
    /// runs them in apk's order (`RUN /.pkg/install.sh`). Nothing when every script was emulated.
    /// </summary>
    private static void AddInstallScripts(InstallResult install, Action<string, byte[], int> file)
    {
        if (install.Pending.Count == 0)
            return;
        var steps = new StringBuilder();
        foreach (var pending in install.Pending)
        {
            var package = pending.Package;
            var script = package.Scripts.First(s => s.Name == pending.Script);
            file($".pkg/{package.Name}-{package.Version}/{script.Name.TrimStart('.')}", script.Content, 0b111_101_101);
            steps.Append(pending.Script == ".trigger"
                ? $"trigger {package.Name}-{package.Version} {string.Join(' ', package.Triggers)}\n"
                : $"run {package.Name}-{package.Version} {pending.Script.TrimStart('.')} {package.Version}\n");
        }
        file(".pkg/install.sh", Text(InstallScript.Replace("@STEPS@", steps.ToString())), 0b111_101_101);
    }

    private const string InstallScript = """
        #!/bin/sh
        # Completes the installation of this image's packages, as apk would: every package's files are in place and
        # the scripts pkg2d could emulate (accounts, directories, links) have had their effect, so this runs the
        # remaining scripts in install order, then the remaining triggers. Use it as `RUN /.pkg/install.sh`.
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
