using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// What an account command did. <see cref="Error"/> is busybox's message when it refused (`group 'nginx' in use`);
/// scripts hide it with `2>/dev/null` and carry on, so a refusal only matters before `|| exit N`.
/// </summary>
public sealed record AccountOutcome(string? Error, HomeDirectory? Home)
{
    public bool Succeeded => Error is null;

    internal static AccountOutcome Done(HomeDirectory? home = null) => new(null, home);

    internal static AccountOutcome Refused(string error) => new(error, null);
}

/// <summary>
/// The home busybox adduser makes (unless -H): `mkdir PATH 0755` without parents (a missing parent means no home);
/// when that created it, the contents of <paramref name="Skeleton"/> (if it exists) are copied in, modes kept, and
/// everything is chowned to the user. Then, new or already there, PATH itself is chowned
/// <paramref name="Uid"/>:<paramref name="Gid"/> and chmodded to <see cref="Mode"/>.
/// </summary>
public sealed record HomeDirectory(string Path, int Uid, int Gid, string Skeleton)
{
    /// <summary>02755: busybox sets the setgid bit on the home.</summary>
    public const int Mode = 0b010_111_101_101;

    /// <summary>Makes the home in <paramref name="files"/>, paths taken by <paramref name="real"/>; busybox's message when it cannot.</summary>
    public string? MakeIn(RootFiles files, Func<string, string> real)
    {
        var home = real(Path);
        if (files[home] is null)
        {
            if (!files.IsDirectory(RootFiles.Parent(home)))
                return $"can't create directory '{Path}': No such file or directory";
            files.Set(home, RootNode.Directory());
            var skeleton = real(Skeleton);
            if (files.IsDirectory(skeleton))
            {
                foreach (var below in files.Tree.Below(skeleton).Order(StringComparer.Ordinal).ToList())
                    files.Set(home + below[skeleton.Length..], files[below]! with { Uid = Uid, Gid = Gid, Owner = null });
            }
        }
        if (files[home] is { Kind: NodeKind.Directory } directory)
            files.Set(home, directory with { Mode = Mode, Uid = Uid, Gid = Gid });
        return null;
    }
}
