using Pkg2d.Apk.Index;

namespace Pkg2d.Serving;

/// <summary>What a refresh changed in an image's packages, as the log says it: <c>zlib 1.3.1-r1 -> 1.3.1-r2, +libfoo 2.0-r0, -libbar 1.1-r3</c>.</summary>
internal static class PackageChanges
{
    public static string Describe(IReadOnlyList<ApkIndexEntry> before, IReadOnlyList<ApkIndexEntry> after)
    {
        // A solution has one package per name; should one have more, the first stands for it.
        var old = before.DistinctBy(p => p.Name).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var now = after.DistinctBy(p => p.Name).ToDictionary(p => p.Name, StringComparer.Ordinal);
        var changes = new List<string>();
        foreach (var package in after.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (!old.TryGetValue(package.Name, out var was))
                changes.Add($"+{package.Name} {package.Version}");
            else if (was.Version != package.Version)
                changes.Add($"{package.Name} {was.Version} -> {package.Version}");
            else if (was.Checksum?.Key != package.Checksum?.Key)
                changes.Add($"{package.Name} {package.Version} rebuilt");
        }
        changes.AddRange(before.Where(p => !now.ContainsKey(p.Name)).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => $"-{p.Name} {p.Version}"));
        return changes.Count == 0 ? "same packages" : string.Join(", ", changes);
    }
}
