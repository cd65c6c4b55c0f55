using System.Formats.Tar;
using System.IO.Compression;
using Pkg2d.Image.Root;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>A root tree as the interpreter sees it, loaded from a root filesystem tarball (the minirootfs fixture).</summary>
public static class TarRoot
{
    /// <summary>Every entry of the tar as a node: files with their content, links, directories, modes and owners.</summary>
    public static VirtualRoot Load(string tarGz)
    {
        var root = new VirtualRoot();
        using var file = File.OpenRead(tarGz);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            var path = string.Join('/', entry.Name.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
            if (path.Length == 0)
                continue;
            var mode = (int)entry.Mode & 0xFFF;
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    root.Set(path, RootNode.Directory(mode, entry.Uid, entry.Gid));
                    break;
                case TarEntryType.SymbolicLink:
                    root.Set(path, RootNode.Symlink(entry.LinkName));
                    break;
                case TarEntryType.HardLink:
                    var target = string.Join('/', entry.LinkName.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "."));
                    root.Set(path, root[target]!);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    using (var content = new MemoryStream())
                    {
                        entry.DataStream?.CopyTo(content);
                        root.Set(path, RootNode.Generated(content.ToArray(), mode, entry.Uid, entry.Gid));
                    }
                    break;
            }
        }
        return root;
    }

    /// <summary>The nodes below <paramref name="directory"/> (a real path) in the form a host tree is read in.</summary>
    public static SortedDictionary<string, RootEntry> Entries(VirtualRoot root, string directory)
    {
        var entries = new SortedDictionary<string, RootEntry>(StringComparer.Ordinal);
        var prefix = directory.Length == 0 ? "" : directory + "/";
        foreach (var (path, node) in root.Nodes)
        {
            if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length)
                continue;
            entries[path[prefix.Length..]] = Entry(node);
        }
        return entries;
    }

    public static RootEntry Entry(RootNode node) => node.Kind switch
    {
        NodeKind.Directory => new RootEntry(RootEntryType.Directory, node.Mode, node.Uid, node.Gid, ""),
        NodeKind.Symlink => new RootEntry(RootEntryType.Symlink, 0b111_111_111, node.Uid, node.Gid, node.LinkTarget ?? ""),
        _ => new RootEntry(RootEntryType.File, node.Mode, node.Uid, node.Gid,
            node.Source is GeneratedSource generated ? Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(generated.Content)) : "?"),
    };
}
