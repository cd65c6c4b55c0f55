using System.Text;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class ApkIndexReaderTests
{
    public static TheoryData<string, int, string> SignedIndexes => new()
    {
        { "mirror/v3.7/main/armhf/APKINDEX.tar.gz", 5648, "alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub" },
        { "indexes/v3.16.3-main-x86_64-APKINDEX.tar.gz", 4929, "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub" },
        { "indexes/v3.17.3-main-aarch64-APKINDEX.tar.gz", 5004, "alpine-devel@lists.alpinelinux.org-616ae350.rsa.pub" },
    };

    [FixtureTheory]
    [MemberData(nameof(SignedIndexes))]
    public void Real_index_verifies_with_the_alpine_keys(string relative, int count, string key)
    {
        var path = Fixtures.Path(relative.Split('/'));
        var warnings = new List<string>();
        using var file = File.OpenRead(path);
        var index = ApkIndexReader.ReadSigned(file, "repo", path, TestData.Keys, allowUntrusted: false, warnings.Add);

        Assert.Equal(count, index.Entries.Count);
        Assert.Equal(key, index.SignedBy);
        Assert.Empty(warnings);
        Assert.False(string.IsNullOrEmpty(index.Description));
        Assert.All(index.Entries, e => Assert.NotNull(e.Checksum));
        Assert.Equal("repo", index.Entries[0].Repository);
    }

    [FixtureFact]
    public void Index_without_a_trusted_key_is_refused_unless_untrusted_is_allowed()
    {
        var path = TestData.MirrorIndexPath;
        using (var file = File.OpenRead(path))
        {
            var e = Assert.Throws<ApkSignatureException>(() =>
                ApkIndexReader.ReadSigned(file, "repo", path, TrustedKeys.Empty, allowUntrusted: false, warn: null));
            Assert.Contains(path, e.Message);
            Assert.Contains("524d27bb", e.Message);
            Assert.Equal("alpine-devel@lists.alpinelinux.org-524d27bb.rsa.pub", e.KeyName);
        }

        var warnings = new List<string>();
        using (var file = File.OpenRead(path))
        {
            var index = ApkIndexReader.ReadSigned(file, "repo", path, TrustedKeys.Empty, allowUntrusted: true, warnings.Add);
            Assert.Null(index.SignedBy);
            Assert.Equal(5648, index.Entries.Count);
        }
        var warning = Assert.Single(warnings);
        Assert.Contains("WARNING", warning);
        Assert.Contains(path, warning);
    }

    [FixtureFact]
    public void Index_with_a_changed_gzip_header_fails_its_signature()
    {
        using var dir = new TempDir();
        var copy = dir.Copy(TestData.MirrorIndexPath);
        // The gzip header's MTIME is outside the deflate data and its CRC, so only the signature can notice.
        FlipByte(copy, SecondMemberOffset(copy) + 4);
        using var file = File.OpenRead(copy);
        var e = Assert.Throws<ApkSignatureException>(() =>
            ApkIndexReader.ReadSigned(file, "repo", copy, TestData.Keys, allowUntrusted: false, warn: null));
        Assert.Contains(copy, e.Message);
        Assert.Contains("does not verify", e.Message);
    }

    [FixtureFact]
    public void Index_with_a_changed_byte_in_its_compressed_body_fails()
    {
        using var dir = new TempDir();
        var copy = dir.Copy(TestData.MirrorIndexPath);
        var second = SecondMemberOffset(copy);
        FlipByte(copy, second + (new FileInfo(copy).Length - second) / 2);
        using var file = File.OpenRead(copy);
        var e = Assert.ThrowsAny<ApkFormatException>(() =>
            ApkIndexReader.ReadSigned(file, "repo", copy, TestData.Keys, allowUntrusted: false, warn: null));
        Assert.Contains(copy, e.Message);
    }

    [Fact]
    public void Plain_text_index_needs_untrusted_and_warns()
    {
        const string text = "C:Q1hdUpqRv5mYgJEqW52UmVsvmy3Os=\nP:foo\nV:1.0-r0\nS:10\n\nC:Q1hdUpqRv5mYgJEqW52UmVsvmy3Os=\nP:bar\nV:2.0-r1\n";
        Assert.Throws<ApkSignatureException>(() =>
            ApkIndexReader.ReadText(new MemoryStream(Encoding.UTF8.GetBytes(text)), "repo", "plain/APKINDEX", false, null));

        var warnings = new List<string>();
        var index = ApkIndexReader.ReadText(new MemoryStream(Encoding.UTF8.GetBytes(text)), "repo", "plain/APKINDEX", true, warnings.Add);
        Assert.Equal(["foo", "bar"], index.Entries.Select(e => e.Name));
        Assert.Null(index.SignedBy);
        Assert.Contains("plain/APKINDEX", Assert.Single(warnings));
    }

    [Fact]
    public void Malformed_plain_text_line_is_an_error_naming_it()
    {
        const string text = "P:foo\nV:1.0-r0\n\nP:bar\nthis line is wrong\n";
        var e = Assert.Throws<ApkFormatException>(() =>
            ApkIndexReader.ReadText(new MemoryStream(Encoding.UTF8.GetBytes(text)), "repo", "plain/APKINDEX", true, null));
        Assert.Contains("plain/APKINDEX", e.Message);
        Assert.Contains("line 5", e.Message);
    }

    [Fact]
    public void Truncated_index_is_a_clear_error()
    {
        var gz = TestData.Gzip(new byte[4096]);
        var e = Assert.ThrowsAny<ApkFormatException>(() =>
            ApkIndexReader.ReadSigned(new MemoryStream(gz[..^20]), "repo", "cut/APKINDEX.tar.gz", TrustedKeys.Empty, true, null));
        Assert.Contains("cut/APKINDEX.tar.gz", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    private static long SecondMemberOffset(string path)
    {
        using var reader = new GzipMemberReader(File.OpenRead(path), path);
        reader.NextMember()!.Drain();
        return reader.Position;
    }

    internal static void FlipByte(string path, long offset)
    {
        using var file = File.Open(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x55));
    }
}
