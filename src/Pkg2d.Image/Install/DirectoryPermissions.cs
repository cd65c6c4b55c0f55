using Pkg2d.Image.Packages;
using Pkg2d.Image.Root;
using Pkg2d.Resolve;

namespace Pkg2d.Image.Install;

/// <summary>
/// How apk settles the owner and mode of a directory that packages ship, which the two apk-tools generations decide
/// differently. Only directories apk makes itself are ever changed: one that existed before (made by `--initdb`, a
/// script, or apk's own log) keeps what it has.
/// </summary>
internal abstract class DirectoryPermissions
{
    protected const int DefaultMode = 0b111_101_101;
    protected const int SetIds = 0b110_000_000_000;
    protected const int SetGid = 0b010_000_000_000;

    public static DirectoryPermissions For(ApkToolsGeneration generation) =>
        generation == ApkToolsGeneration.V3 ? new Apk3() : new Apk2();

    /// <summary>A package's directory entry at <paramref name="real"/> (owner mapped); the node there, if any, is the directory as it stands.</summary>
    public abstract void Entry(VirtualRoot root, string real, PackageFacts package, PackageFile entry);

    /// <summary>After the last post-install, before the triggers.</summary>
    public virtual void Finish(VirtualRoot root)
    {
    }

    /// <summary>
    /// apk-tools 2.14: a directory apk made takes, after the last post-install, the owner with the lowest uid, then
    /// gid, among all packages' entries for it, with the AND of the modes of the entries with that owner — undoing
    /// what a script changed on it meanwhile.
    /// </summary>
    private sealed class Apk2 : DirectoryPermissions
    {
        private readonly Dictionary<string, List<(int Uid, int Gid, int Mode)>> _made = new(StringComparer.Ordinal);

        public override void Entry(VirtualRoot root, string real, PackageFacts package, PackageFile entry)
        {
            var acl = (entry.Uid, entry.Gid, entry.Mode & 0xFFF);
            if (root[real] is null)
            {
                root.Set(real, RootNode.Of(package, entry));
                _made[real] = [acl];
            }
            else if (_made.TryGetValue(real, out var entries))
            {
                entries.Add(acl);
            }
        }

        public override void Finish(VirtualRoot root)
        {
            foreach (var (path, entries) in _made)
            {
                if (root[path] is not { Kind: NodeKind.Directory } node)
                    continue;
                var (uid, gid) = entries.Select(e => (e.Uid, e.Gid)).Min();
                var mode = entries.Where(e => e.Uid == uid && e.Gid == gid).Aggregate(0xFFF, (all, e) => all & e.Mode);
                if (node.Mode != mode || node.Uid != uid || node.Gid != gid)
                    root.Set(path, node with { Mode = mode, Uid = uid, Gid = gid });
            }
        }
    }

    /// <summary>
    /// apk-tools 3.0: a directory belongs to the package that made it until a later package wins it (a higher
    /// replaces_priority, the origin's own package, else the name that sorts first; `replaces` does not count for
    /// directories). apk makes a directory with mkdir and no chmod, so setuid and setgid are dropped and setgid is
    /// inherited from a setgid parent; the directory's mode and owner change again only when a package winning it
    /// brings other ones. There is no pass at the end.
    /// </summary>
    private sealed class Apk3 : DirectoryPermissions
    {
        private sealed class State
        {
            public bool Created;
            public bool PermissionsOk;
            public (PackageFacts Package, Acl Acl)? Owner;
        }

        private readonly record struct Acl(int Mode, int Uid, int Gid);

        private static readonly Acl Default = new(DefaultMode, 0, 0);

        private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

        public override void Entry(VirtualRoot root, string real, PackageFacts package, PackageFile entry)
        {
            var acl = new Acl(entry.Mode & 0xFFF, entry.Uid, entry.Gid);
            var state = StateOf(real);
            var expected = state.Owner?.Acl;
            if (state.Owner is not { } owner || Replaces(owner.Package, package))
            {
                if (state.Owner is { } previous && previous.Acl != acl && state.PermissionsOk && root[real] is { Kind: NodeKind.Directory } node)
                    root.Set(real, node with { Mode = acl.Mode, Uid = acl.Uid, Gid = acl.Gid });
                state.Owner = (package, acl);
            }
            Prepare(root, real, expected, state.Owner!.Value.Acl, package);
        }

        /// <summary>apk_db_dir_prepare: the first time a directory is met, make it (and its parents) unless it exists.</summary>
        private void Prepare(VirtualRoot root, string real, Acl? expected, Acl wanted, PackageFacts? package)
        {
            var state = StateOf(real);
            if (real.Length == 0 || state.Created)
                return;
            state.Created = true;
            var parent = VirtualRoot.Parent(real);
            if (parent.Length > 0 && !StateOf(parent).Created)
                Prepare(root, parent, Default, Default, null);
            var node = root[real];
            if (node is null)
            {
                var inherited = root[parent] is { Kind: NodeKind.Directory } p && (p.Mode & SetGid) != 0 ? SetGid : 0;
                var made = RootNode.Directory((wanted.Mode & ~SetIds) | inherited, wanted.Uid, wanted.Gid);
                root.Set(real, package is null ? made : made with { Owner = package });
                state.PermissionsOk = true;
            }
            else if (expected is { } acl && node.Kind == NodeKind.Directory && node.Mode == acl.Mode && node.Uid == acl.Uid && node.Gid == acl.Gid)
            {
                state.PermissionsOk = true;
            }
        }

        private State StateOf(string real)
        {
            if (!_states.TryGetValue(real, out var state))
                _states[real] = state = new State();
            return state;
        }

        /// <summary>apk_pkg_replaces_dir: whether <paramref name="newcomer"/> takes a directory from its <paramref name="owner"/>.</summary>
        private static bool Replaces(PackageFacts owner, PackageFacts newcomer)
        {
            if (owner.Name == newcomer.Name)
                return true;
            var (ownerPriority, newPriority) = (owner.ReplacesPriority ?? 0, newcomer.ReplacesPriority ?? 0);
            if (ownerPriority != newPriority)
                return ownerPriority < newPriority;
            var origin = owner.Record.FirstOrDefault(f => f.Key == 'o')?.Value;
            if (!string.IsNullOrEmpty(origin) && origin == newcomer.Record.FirstOrDefault(f => f.Key == 'o')?.Value)
            {
                if (origin == owner.Name)
                    return false;
                if (origin == newcomer.Name)
                    return true;
            }
            return string.CompareOrdinal(owner.Name, newcomer.Name) > 0;
        }
    }
}
