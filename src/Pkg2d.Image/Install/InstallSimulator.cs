using Pkg2d.Image.Root;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Definition;
using Pkg2d.Image.Packages;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Install;

/// <summary>A script pkg2d does not emulate: it stays for `/.pkg/install.sh`, and export names it in a warning.</summary>
public sealed record PendingScript(PackageFacts Package, string Script, string Reason)
{
    public override string ToString() => $"{Package.Name}{Script}: {Reason}";
}

/// <summary>Two packages ship one path and neither may overwrite the other: apk's "trying to overwrite".</summary>
public sealed class FileConflictException(string message) : InvalidOperationException(message);

/// <summary>What apk would leave behind after `apk add --initdb` of an image's packages.</summary>
public sealed class InstallResult
{
    /// <summary>The root as apk leaves it (device nodes left out: the runtime mounts /dev).</summary>
    public required VirtualRoot Root { get; init; }

    /// <summary>Per package (install order), the data-tar entries its database entry lists, owners mapped as apk maps them.</summary>
    public required IReadOnlyList<KeyValuePair<PackageFacts, IReadOnlyList<PackageFile>>> Installed { get; init; }

    /// <summary>Per package key, the entries that cannot be unpacked as they are (through a symlink of a lower package, top-level dotfiles).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, EntryChange>> Rewrites { get; init; }

    public required IReadOnlyList<PendingScript> Pending { get; init; }

    /// <summary>What checking the image's settings against the root found worth a warning.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Installs an image's packages into a <see cref="VirtualRoot"/> the way apk-tools does, without running a process:
/// `--initdb`, then package by package its pre-install script, its files (owners mapped by name against the accounts
/// as they stand, paths followed through symlinks, conflicts decided by replaces and origin), its post-install
/// script; then the triggers. Scripts run in the shell emulator (<see cref="ScriptRunner"/>); those that reach
/// something not emulated are pending. Deterministic: the same packages and creation time give the same root.
/// </summary>
public sealed class InstallSimulator
{
    private readonly VirtualRoot _root = new();
    private readonly ScriptRunner _scripts;
    private readonly List<PendingScript> _pending = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, EntryChange>> _rewrites = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<PackageFacts, List<PackageFile>>> _installed = [];

    private readonly ApkToolsGeneration _generation;
    private readonly DirectoryPermissions _directories;

    private InstallSimulator(DateTimeOffset created, PackageContents? contents, ApkToolsGeneration generation)
    {
        _generation = generation;
        _directories = DirectoryPermissions.For(generation);
        _scripts = new ScriptRunner(_root, created, contents is null ? null : contents.Read, generation);
    }

    /// <param name="contents">Reads package files that scripts read (beyond the contents the facts keep); without
    /// it such a script stays pending.</param>
    /// <param name="generation">Which apk-tools' install to reproduce.</param>
    /// <param name="image">The image's name and settings, whose accounts, paths and working directory are added
    /// after the install (see <see cref="ImageSetup"/>).</param>
    public static InstallResult Run(IReadOnlyList<PackageFacts> packages, DateTimeOffset created, PackageContents? contents = null,
        ApkToolsGeneration generation = ApkToolsGeneration.V2, (string Name, ImageSettings Settings)? image = null)
    {
        var simulator = new InstallSimulator(created, contents, generation);
        simulator.InitDb();
        foreach (var package in packages)
            simulator.Install(package);
        simulator._directories.Finish(simulator._root);
        simulator.Triggers(packages);
        var warnings = image is var (name, settings) ? ImageSetup.Apply(simulator._scripts.Host, name, settings) : [];
        return new InstallResult
        {
            Root = simulator._root,
            Installed = [.. simulator._installed.Select(i => new KeyValuePair<PackageFacts, IReadOnlyList<PackageFile>>(i.Key, i.Value))],
            Rewrites = simulator._rewrites,
            Pending = simulator._pending,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// What `apk add --initdb` makes before any package (its database files are written by the top layer). apk 3
    /// (`--no-cache`, as images are installed) makes only var/log for its log before the packages; its etc/apk and
    /// lib/apk/db come at the end, made by the top layer where packages did not make them.
    /// </summary>
    private void InitDb()
    {
        if (_generation == ApkToolsGeneration.V3)
        {
            _root.Set("var/log", RootNode.Directory());
            return;
        }
        foreach (var path in new[] { "dev", "etc", "etc/apk", "lib", "lib/apk", "lib/apk/db", "var", "var/cache", "var/cache/apk", "var/cache/misc" })
            _root.Set(path, RootNode.Directory());
        _root.Set("proc", RootNode.Directory(0b101_101_101));
        _root.Set("tmp", RootNode.Directory(0b1_111_111_111));
    }

    private void Install(PackageFacts package)
    {
        if (!package.IsUnpacked)
        {
            _installed.Add(new(package, []));
            return;
        }
        RunScript(package, ".pre-install", [package.Version]);
        var installed = new List<PackageFile>();
        var changes = new Dictionary<string, EntryChange>(StringComparer.Ordinal);
        // Owners are mapped against the accounts as the package's extraction starts (its own account files count after).
        var accounts = _scripts.Accounts;
        foreach (var file in package.Files)
        {
            // apk never installs names at the top of the data tar that start with a dot (.PKGINFO's siblings).
            // Left in its layer, it is whited out by the top layer, so the layer stays the package's own bytes.
            if (!file.Path.Contains('/') && file.Path.StartsWith('.'))
                continue;
            var real = RealPath(file.Path);
            var mapped = file with { Uid = accounts.Uid(file.UserName) ?? file.Uid, Gid = accounts.Gid(file.GroupName) ?? file.Gid };
            if (file.Type == PackageFileType.Directory && (_root[real] is { Kind: NodeKind.Symlink } || (real != file.Path && _root[real] is not null)))
                changes[file.Path] = EntryChange.Drop; // a layer's directory entry would replace the link, or reset the directory
            else if (real != file.Path)
                changes[file.Path] = new EntryChange(real);
            if (Place(package, file, mapped, real))
                installed.Add(mapped);
        }
        if (changes.Count > 0)
            _rewrites[package.Key] = changes;
        _installed.Add(new(package, installed));
        _scripts.PackageFilesChanged(package);
        RunScript(package, ".post-install", [package.Version]);
    }

    /// <summary>The real path of a data-tar entry: apk follows symlinks among its parents, never the entry's own name.</summary>
    private string RealPath(string path)
    {
        var slash = path.LastIndexOf('/');
        if (slash < 0)
            return path;
        var parent = _root.Resolve(path[..slash]);
        return parent.Length == 0 ? path[(slash + 1)..] : parent + path[slash..];
    }

    /// <summary>Puts one entry into the root; false when apk keeps another package's copy instead (it is then not listed).</summary>
    private bool Place(PackageFacts package, PackageFile file, PackageFile mapped, string real)
    {
        var existing = _root[real];
        if (file.Type == PackageFileType.Directory)
        {
            if (existing is null || existing.Kind == NodeKind.Directory)
                _directories.Entry(_root, real, package, mapped);
            // A symlink to a directory stays: its target keeps its own mode and owner.
            else if (_root[_root.Resolve(real)] is not { Kind: NodeKind.Directory })
                throw new FileConflictException(
                    $"{package} cannot install directory /{file.Path}: /{real} is a {Describe(existing)}; apk fails to rename it into place");
            return true;
        }
        if (existing is { Kind: NodeKind.Directory, Owner: null } && file.Type == PackageFileType.Symlink)
            MoveInto(real, file.LinkTarget ?? "");
        else if (existing is { Kind: NodeKind.Directory })
            throw new FileConflictException($"{package} cannot install /{file.Path}: /{real} is a directory{OwnedBy(existing)}; apk fails to rename it into place");
        if (existing?.Owner is { } owner && owner != package)
        {
            switch (Replaces(owner, package))
            {
                case Verdict.KeepOld:
                    return false;
                case Verdict.Conflict:
                    throw new FileConflictException($"{package}: trying to overwrite /{file.Path} owned by {owner}");
            }
            Disown(owner, file.Path, real);
        }
        _root.Set(real, RootNode.Of(package, mapped));
        return true;
    }

    /// <summary>
    /// A merged /usr link (`lib -> usr/lib`) over a directory no package owns (--initdb's `lib`, which holds apk's
    /// database): its contents move to the link's target and the link takes its place, as on Alpine 3.23, where
    /// /lib is a link and apk's database lives in /usr/lib/apk. (apk-tools 2.14 fails here: "failed to rename".)
    /// </summary>
    private void MoveInto(string directory, string target)
    {
        var destination = _root.Resolve((target.StartsWith('/') ? "" : VirtualRoot.Parent(directory) + "/") + target);
        foreach (var path in _root.Below(directory).Order(StringComparer.Ordinal).ToList())
        {
            var moved = destination + path[directory.Length..];
            if (_root[moved] is null)
                _root.Set(moved, _root[path]!);
        }
        _root.Remove(directory);
    }

    private enum Verdict { Overwrite, KeepOld, Conflict }

    /// <summary>
    /// apk's rule for a file the installed <paramref name="owner"/> already has: same name or origin overwrites; else
    /// the package whose `replaces` names the other with the higher replaces_priority wins; a newcomer that replaces
    /// the owner wins ties; no replaces either way is a conflict (replaces_priority alone decides nothing).
    /// </summary>
    private static Verdict Replaces(PackageFacts owner, PackageFacts newcomer)
    {
        if (owner.Name == newcomer.Name || owner.Origin == newcomer.Origin)
            return Verdict.Overwrite;
        var ownerPriority = Names(owner.Replaces).Contains(newcomer.Name) ? owner.ReplacesPriority ?? 0 : -1;
        var newPriority = Names(newcomer.Replaces).Contains(owner.Name) ? newcomer.ReplacesPriority ?? 0 : -1;
        if (ownerPriority > newPriority)
            return Verdict.KeepOld;
        return newPriority >= 0 ? Verdict.Overwrite : Verdict.Conflict;
    }

    /// <summary>Replaces entries may carry a version constraint (`foo<2`); the name is what counts here.</summary>
    private static IEnumerable<string> Names(IEnumerable<string> dependencies) =>
        dependencies.Select(d => d.TrimStart('!')).Select(d => d[..(d.IndexOfAny(['<', '>', '=', '~']) is var i and >= 0 ? i : d.Length)]);

    /// <summary>The previous owner loses a path it was overwritten on: its database entry no longer lists it.</summary>
    private void Disown(PackageFacts owner, string path, string real)
    {
        foreach (var (package, files) in _installed)
        {
            if (package == owner)
                files.RemoveAll(f => f.Path == path || RealPath(f.Path) == real);
        }
    }

    private static string Describe(RootNode node) => node.Kind == NodeKind.Symlink ? $"symlink to {node.LinkTarget}" : "file" + OwnedBy(node);

    private static string OwnedBy(RootNode node) => node.Owner is { } owner ? $" of {owner}" : "";

    private void RunScript(PackageFacts package, string name, IReadOnlyList<string> arguments)
    {
        if (package.Scripts.FirstOrDefault(s => s.Name == name) is not { } script)
            return;
        PrepareScriptRun();
        var reason = _scripts.Run(package, script, arguments);
        if (reason is not null)
            _pending.Add(new PendingScript(package, name, reason));
    }

    /// <summary>
    /// What running a script leaves in the root: apk 2.14 writes the script to lib/apk/exec (made 0700 for the first
    /// one); apk 3 runs it from memory, mounting the host's /proc and /dev on directories it makes (0755).
    /// </summary>
    private void PrepareScriptRun()
    {
        string[] directories = _generation == ApkToolsGeneration.V3 ? ["proc", "dev"] : ["lib/apk/exec"];
        foreach (var directory in directories)
        {
            if (_root[directory] is null)
                _root.Set(directory, RootNode.Directory(_generation == ApkToolsGeneration.V3 ? 0b111_101_101 : 0b111_000_000));
        }
    }

    /// <summary>
    /// apk runs each package's trigger once at the end (in install order: every package here is new) when a directory
    /// of its database matches one of its globs, passing those directories in the order of apk's directory hash
    /// table. On a new root every matching directory counts, whether or not it changed.
    /// </summary>
    private void Triggers(IReadOnlyList<PackageFacts> packages)
    {
        var directories = DatabaseDirectories();
        foreach (var package in packages.Where(p => p.IsUnpacked && p.Triggers.Count > 0 && p.Scripts.Any(s => s.Name == ".trigger")))
        {
            var matched = directories.Where(d => package.Triggers.Any(glob => Matches(glob, d))).Select(d => "/" + d).ToList();
            if (matched.Count > 0)
                RunScript(package, ".trigger", matched);
        }
    }

    /// <summary>
    /// The directories of apk's database — each package's `F:` lines, their parents and the root ("") — in the order
    /// apk walks its directory hash table: by bucket (MurmurHash3 of the name, seed 5381, modulo 20000), the newest
    /// first within a bucket (a parent enters before its child).
    /// </summary>
    private List<string> DatabaseDirectories()
    {
        var seen = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        void Add(string directory)
        {
            if (known.Contains(directory))
                return;
            if (directory.Length > 0)
                Add(VirtualRoot.Parent(directory));
            known.Add(directory);
            seen.Add(directory);
        }
        foreach (var (_, files) in _installed)
        {
            foreach (var file in files)
                Add(file.Type == PackageFileType.Directory ? file.Path : VirtualRoot.Parent(file.Path));
        }
        return [.. seen.Select((d, order) => (Directory: d, Order: order))
            .OrderBy(d => Murmur3.Hash(d.Directory, 5381) % 20000)
            .ThenByDescending(d => d.Order)
            .Select(d => d.Directory)];
    }

    /// <summary>Whether a root path matches a trigger's directory glob (`/usr/share/fonts/*`): `*` and `?` within one component.</summary>
    private static bool Matches(string glob, string path) => Matches(glob.AsSpan().Trim('/'), path.AsSpan());

    private static bool Matches(ReadOnlySpan<char> glob, ReadOnlySpan<char> path)
    {
        while (glob.Length > 0)
        {
            switch (glob[0])
            {
                case '*':
                    for (var take = 0; take <= path.Length && (take == 0 || path[take - 1] != '/'); take++)
                    {
                        if (Matches(glob[1..], path[take..]))
                            return true;
                    }
                    return false;
                case '?' when path.Length > 0 && path[0] != '/':
                case var c when path.Length > 0 && path[0] == c:
                    glob = glob[1..];
                    path = path[1..];
                    break;
                default:
                    return false;
            }
        }
        return path.Length == 0;
    }
}
