using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class ApkIndexTextTests
{
    private const string Text =
        "C:Q1hdUpqRv5mYgJEqW52UmVsvmy3Os=\nP:foo\nV:1.0-r0\nA:x86_64\nS:10\nD:so:libc.musl-x86_64.so.1  bar>=2\nZ:unknown\n\n" +
        "C:Q1hdUpqRv5mYgJEqW52UmVsvmy3Os=\nP:bar\nV:2.0-r1\nA:x86_64\np:cmd:bar=2.0-r1 so:libbar.so.2=2\ni:foo baz\nk:5\n";

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    [InlineData("\r")]
    public void Records_read_the_same_whatever_the_line_ends(string newline)
    {
        var entries = ApkIndexText.Parse(new StringReader(Text.Replace("\n", newline)), "repo", "test");

        Assert.Equal(2, entries.Count);
        var foo = entries[0];
        Assert.Equal(["C", "P", "V", "A", "S", "D", "Z"], foo.Fields.Select(f => f.Key.ToString()));
        Assert.Equal("unknown", foo['Z']);
        Assert.Equal(10, foo.Size);
        Assert.Equal(["so:libc.musl-x86_64.so.1", "bar>=2"], foo.Depends);
        Assert.Empty(foo.Provides);
        var bar = entries[1];
        Assert.Equal(["cmd:bar=2.0-r1", "so:libbar.so.2=2"], bar.Provides);
        Assert.Equal(["foo", "baz"], bar.InstallIf);
        Assert.Equal(5, bar.ProviderPriority);
        Assert.Equal("bar-2.0-r1.apk", bar.FileName);
    }

    [Fact]
    public void Malformed_line_is_named_by_its_number_with_crlf_line_ends()
    {
        var text = "P:foo\r\nV:1.0-r0\r\n\r\nP:bar\r\nS:ten\r\nV:1\r\n";
        var e = Assert.Throws<ApkFormatException>(() => ApkIndexText.Parse(new StringReader(text), "repo", "crlf/APKINDEX"));
        Assert.Equal("crlf/APKINDEX: record at line 4: invalid S: value 'ten'", e.Message);

        e = Assert.Throws<ApkFormatException>(() => ApkIndexText.Parse(new StringReader("P:foo\r\nV\r\n"), "repo", "crlf/APKINDEX"));
        Assert.Equal("crlf/APKINDEX: line 2: expected 'X:value', got 'V'", e.Message);
    }

    [Fact]
    public void Signed_index_drops_a_byte_order_mark_and_keeps_every_field()
    {
        var text = Encoding.UTF8.GetBytes("\uFEFF" + Text + "T:caf\u00e9 \u2014 na\u00efve\n");
        var index = ApkIndexReader.ReadSigned(new MemoryStream(IndexTarGz(text)), "repo", "bom/APKINDEX.tar.gz",
            TrustedKeys.Empty, allowUntrusted: true, warn: null);

        Assert.Equal(["foo", "bar"], index.Entries.Select(e => e.Name));
        Assert.Equal("caf\u00e9 \u2014 na\u00efve", index.Entries[1].Description);
        Assert.Equal(ApkIndexText.Parse(new StringReader(Text), "repo", "x")[0].Fields, index.Entries[0].Fields);
    }

    [FixtureFact]
    public void Values_repeated_across_records_share_one_string()
    {
        using var file = File.OpenRead(Fixtures.X86_64Index);
        var entries = ApkIndexReader.ReadSigned(file, "repo", Fixtures.X86_64Index, TestData.Keys, false, null).Entries;

        var arches = entries.Select(e => e.Arch).Distinct(ReferenceEqualityComparer.Instance).Count();
        var maintainers = entries.Select(e => e.Maintainer).Where(m => m is not null).ToList();
        Assert.Equal(1, arches);
        Assert.Equal(maintainers.Distinct().Count(), maintainers.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.All(entries, e => Assert.Same(e.Arch, e['A']));
    }

    /// <summary>An unsigned APKINDEX.tar.gz holding <paramref name="apkindex"/>.</summary>
    private static byte[] IndexTarGz(byte[] apkindex)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "APKINDEX") { DataStream = new MemoryStream(apkindex) });
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(tar.ToArray());
        return gz.ToArray();
    }
}
