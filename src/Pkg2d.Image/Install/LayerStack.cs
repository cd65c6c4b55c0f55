using Pkg2d.Image.Root;
using Pkg2d.Image.Assembly;
using Pkg2d.Image.Packages;

namespace Pkg2d.Image.Install;

/// <summary>
/// The tree that unpacking an image's package layers in order gives (as containers/storage, containerd and umoci do
/// it): each entry replaces what is at its path with the tar header's numeric owner, a directory over a directory
/// only changes its metadata, anything over a directory removes it. Compared with <see cref="InstallResult.Root"/>,
/// it says what the top layer must correct.
/// </summary>
public static class LayerStack
{
    public static VirtualRoot Unpack(IEnumerable<PackageFacts> packagesInLayerOrder, IReadOnlyDictionary<string, IReadOnlyDictionary<string, EntryChange>> rewrites)
    {
        var root = new VirtualRoot();
        foreach (var package in packagesInLayerOrder)
        {
            var changes = rewrites.GetValueOrDefault(package.Key);
            foreach (var file in package.Files)
            {
                var path = file.Path;
                if (changes?.GetValueOrDefault(path) is { } change)
                {
                    if (change.Path is null)
                        continue;
                    path = change.Path;
                }
                root.Set(path, RootNode.Of(package, file));
            }
        }
        return root;
    }
}
