using System.Text;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Image.Packages;
using Pkg2d.Image.TopLayer;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests;

public class InstalledDatabaseTests
{
    private static readonly string Golden = Fixtures.Path("installed", "alpine-minirootfs-3.16.9-aarch64.installed");

    /// <summary>The paragraph of a real installed database that describes one package.</summary>
    private static string GoldenEntry(string name) =>
        File.ReadAllText(Golden).Split("\n\n").Single(p => p.StartsWith("C:") && p.Contains($"\nP:{name}\n")) + "\n";

    /// <summary>The golden paragraph's index lines (before its file lines) as an index entry.</summary>
    private static ApkIndexEntry EntryFrom(string paragraph, string repository) =>
        ApkIndexText.Parse(new StringReader(string.Concat(paragraph.Split('\n')
            .TakeWhile(l => l.Length > 0 && "FRMaZrqsf".IndexOf(l[0]) < 0)
            .Select(l => l + "\n"))), repository, "golden").Single();

    [FixtureFact]
    public void EntryForRealAlpineBaselayoutMatchesAlpinesOwnLineForLine()
    {
        var golden = GoldenEntry("alpine-baselayout");
        var apk = Fixtures.Path("apk", "aarch64", "alpine-baselayout-3.2.0-r23.apk");
        var entry = EntryFrom(golden, Path.GetDirectoryName(apk)!);

        var facts = PackageScanner.Scan(apk, entry, TrustedKeys.Load([Fixtures.KeysDir]), allowUntrusted: false, warn: null);
        var written = Encoding.UTF8.GetString(InstalledDatabase.ToBytes([facts]));

        Assert.Equal(golden.Split('\n'), written.TrimEnd('\n').Split('\n').Append("").ToArray());
    }

    [Fact]
    public void DirectoriesComeInFirstMentionOrderWithTheirFilesAndNonDefaultOwnership()
    {
        PackageFile Dir(string path, int mode = 0b111_101_101) => new(path, PackageFileType.Directory, mode, 0, 0, null, null, 0);
        PackageFile File(string path, int mode = 0b110_100_100, int uid = 0) =>
            new(path, PackageFileType.File, mode, uid, 0, "0123456789abcdef0123456789abcdef01234567", null, 1);
        var facts = new PackageFacts
        {
            Key = "k", Name = "demo", Version = "1.0-r0", DataOffset = 0, DataLength = 1, LayerDigest = "", DiffId = "",
            DiffSize = 0, BuildDate = 0,
            Record = [new('P', "demo"), new('V', "1.0-r0")],
            Replaces = ["old-demo"],
            Files =
            [
                Dir("etc"), Dir("etc/demo", 0b111_000_000), File("etc/demo/secret", 0b110_000_000, uid: 100),
                File("etc/motd"), File("usr/bin/demo", 0b111_101_101),
            ],
        };

        var text = Encoding.UTF8.GetString(InstalledDatabase.ToBytes([facts]));

        Assert.Equal("""
            P:demo
            V:1.0-r0
            r:old-demo
            F:etc
            R:motd
            Z:Q1ASNFZ4mrze8BI0VniavN7wEjRWc=
            F:etc/demo
            M:0:0:700
            R:secret
            a:100:0:600
            Z:Q1ASNFZ4mrze8BI0VniavN7wEjRWc=
            F:usr/bin
            R:demo
            a:0:0:755
            Z:Q1ASNFZ4mrze8BI0VniavN7wEjRWc=


            """.ReplaceLineEndings("\n"), text);
    }
}
