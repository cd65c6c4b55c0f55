using System.Globalization;
using System.Text;
using Pkg2d.Image.Packages;
using Pkg2d.Resolve;

namespace Pkg2d.Image.TopLayer;

/// <summary>
/// Writes `lib/apk/db/installed` exactly as apk-tools does: records sorted by name as apk lists names (case
/// folded first, then byte order); per package its index record, `r:`/`q:` from `.PKGINFO`, then each directory it
/// owns (`F:`, with `M:` when not root:root 0755) followed by the files in it (`R:`, with `a:` when not root:root
/// 0644, and `Z:` = Q1 + base64 SHA-1 of the content or link target). Both generations hold the `r:`/`q:` lines
/// until a package's first `F:` line: apk 2.14 with one buffer for all, so those of a package without directories
/// (alpine-base: only a dotfile) appear in the next record that has one, and after the last are lost; apk 3 with
/// one per package, so they are lost. A package of installed size 0 is never unpacked, so its `.PKGINFO` lines are
/// never read. Directories come in the order the package first mentions them (apk 3 sorts them once more than 32
/// out of order pile up); apk 2.14 keeps files in tar order within a directory, apk 3 sorts them.
/// </summary>
public static class InstalledDatabase
{
    /// <summary>The index fields apk keeps in the installed database, in the order it writes them.</summary>
    private const string RecordOrder = "CPVASITULomtckDpi";

    /// <summary>Each package with the entries it owns after installation (owners mapped, lost conflicts and dotfiles left out).</summary>
    public static void Write(TextWriter writer, IEnumerable<KeyValuePair<PackageFacts, IReadOnlyList<PackageFile>>> packages, ApkToolsGeneration generation)
    {
        var held = new StringBuilder();
        foreach (var (package, files) in packages.OrderBy(p => p.Key.Name, NameOrder.Instance))
        {
            if (generation == ApkToolsGeneration.V3)
                held.Clear();
            WriteEntry(writer, package, files, held, generation);
            writer.Write('\n');
        }
    }

    public static byte[] ToBytes(IEnumerable<KeyValuePair<PackageFacts, IReadOnlyList<PackageFile>>> packages, ApkToolsGeneration generation = ApkToolsGeneration.V2)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(writer, packages, generation);
        return new UTF8Encoding(false).GetBytes(writer.ToString());
    }

    /// <summary>The database of packages installed as their data tars list them.</summary>
    public static byte[] ToBytes(IEnumerable<PackageFacts> packages, ApkToolsGeneration generation = ApkToolsGeneration.V2) =>
        ToBytes(packages.Select(p => new KeyValuePair<PackageFacts, IReadOnlyList<PackageFile>>(p, p.Files)), generation);

    /// <summary>The record fields of an index entry that belong in the installed database, in apk's order.</summary>
    public static IReadOnlyList<IndexField> RecordFields(IEnumerable<KeyValuePair<char, string>> indexFields)
    {
        var byKey = new Dictionary<char, string>();
        foreach (var (key, value) in indexFields)
            byKey.TryAdd(key, value);
        return RecordOrder.Where(byKey.ContainsKey).Select(k => new IndexField(k, byKey[k])).ToArray();
    }

    private static void WriteEntry(TextWriter writer, PackageFacts package, IReadOnlyList<PackageFile> files, StringBuilder held, ApkToolsGeneration generation)
    {
        foreach (var field in package.Record)
            Line(writer, field.Key, field.Value);
        if (package.IsUnpacked)
        {
            using var lines = new StringWriter(held, CultureInfo.InvariantCulture);
            if (package.Replaces.Count > 0)
                Line(lines, 'r', string.Join(' ', package.Replaces));
            if (package.ReplacesPriority is { } priority)
                Line(lines, 'q', priority.ToString(CultureInfo.InvariantCulture));
        }

        var directories = generation == ApkToolsGeneration.V3 ? DirectoryOrder.Apk3(files) : GroupByDirectory(files);
        if (directories.Count > 0)
        {
            writer.Write(held);
            held.Clear();
        }
        foreach (var directory in directories)
        {
            Line(writer, 'F', directory.Path);
            if (directory.Entry is { } entry && !IsDefault(entry, 0b111_101_101))
                Line(writer, 'M', Acl(entry));
            var inOrder = generation == ApkToolsGeneration.V3
                ? directory.Files.OrderBy(f => Encoding.UTF8.GetBytes(Name(f)), ByteOrder.Instance)
                : (IEnumerable<PackageFile>)directory.Files;
            foreach (var file in inOrder)
            {
                Line(writer, 'R', Name(file));
                if (!IsDefault(file, 0b110_100_100))
                    Line(writer, 'a', Acl(file));
                if (file.Sha1 is { } sha1)
                    Line(writer, 'Z', "Q1" + Convert.ToBase64String(Convert.FromHexString(sha1)));
            }
        }
    }

    private static string Name(PackageFile file) => file.Path[(file.Path.LastIndexOf('/') + 1)..];

    /// <summary>A directory the package owns: its own tar entry (null when only implied by a file) and its files.</summary>
    internal sealed class DirectoryGroup(string path)
    {
        public string Path { get; } = path;
        public PackageFile? Entry { get; set; }
        public List<PackageFile> Files { get; } = [];
    }

    private static List<DirectoryGroup> GroupByDirectory(IReadOnlyList<PackageFile> files)
    {
        var groups = new List<DirectoryGroup>();
        var byPath = new Dictionary<string, DirectoryGroup>(StringComparer.Ordinal);

        DirectoryGroup Get(string path)
        {
            if (!byPath.TryGetValue(path, out var group))
            {
                group = new DirectoryGroup(path);
                byPath.Add(path, group);
                groups.Add(group);
            }
            return group;
        }

        foreach (var file in files)
        {
            if (file.Type == PackageFileType.Directory)
            {
                if (file.Path.Length > 0)
                    Get(file.Path).Entry ??= file;
            }
            else
            {
                var slash = file.Path.LastIndexOf('/');
                Get(slash < 0 ? "" : file.Path[..slash]).Files.Add(file);
            }
        }
        return groups;
    }

    private static bool IsDefault(PackageFile file, int mode) => file.Uid == 0 && file.Gid == 0 && (file.Mode & 0b111_111_111_111) == mode;

    private static string Acl(PackageFile file) =>
        string.Create(CultureInfo.InvariantCulture, $"{file.Uid}:{file.Gid}:{Convert.ToString(file.Mode & 0b111_111_111_111, 8)}");

    private static void Line(TextWriter writer, char key, string value)
    {
        writer.Write(key);
        writer.Write(':');
        writer.Write(value);
        writer.Write('\n');
    }
}
