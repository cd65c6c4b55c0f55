using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Format;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class GzipMemberReaderTests
{
    [Fact]
    public void Splits_concatenated_members_at_their_exact_ends()
    {
        // Sizes chosen around the reader's 64 KiB input buffer, and incompressible content so members span buffers.
        var contents = new[] { Encoding.ASCII.GetBytes("first"), RandomNumberGenerator.GetBytes(200_000), Encoding.ASCII.GetBytes("third") };
        var members = contents.Select(TestData.Gzip).ToArray();
        var file = members.SelectMany(m => m).ToArray();

        using var reader = new GzipMemberReader(new ForwardOnlyStream(new MemoryStream(file)), "test.gz");
        long offset = 0;
        for (var i = 0; i < members.Length; i++)
        {
            var member = reader.NextMember();
            Assert.NotNull(member);
            Assert.Equal(i, member.Index);
            Assert.Equal(offset, member.Offset);
            var content = new MemoryStream();
            member.Content.CopyTo(content);
            Assert.Equal(contents[i], content.ToArray());
            Assert.True(member.IsComplete);
            Assert.Equal(members[i].Length, member.Length);
            Assert.Equal(SHA1.HashData(members[i]), member.Sha1.ToArray());
            Assert.Equal(SHA256.HashData(members[i]), member.Sha256.ToArray());
            offset += members[i].Length;
        }
        Assert.Null(reader.NextMember());
        Assert.Equal(file.Length, reader.Position);
    }

    [Fact]
    public void Skipping_a_member_still_gives_its_length_and_hash()
    {
        var members = new[] { TestData.Gzip(RandomNumberGenerator.GetBytes(100_000)), TestData.Gzip([1, 2, 3]) };
        using var reader = new GzipMemberReader(new MemoryStream(members.SelectMany(m => m).ToArray()), "test.gz");
        var first = reader.NextMember()!;
        Assert.Throws<InvalidOperationException>(() => first.Length);
        var second = reader.NextMember()!;
        Assert.Equal(members[0].Length, first.Length);
        Assert.Equal(SHA256.HashData(members[0]), first.Sha256.ToArray());
        Assert.Equal(members[0].Length, second.Offset);
    }

    [Fact]
    public void Truncated_member_is_an_error_naming_the_file()
    {
        var gz = TestData.Gzip(RandomNumberGenerator.GetBytes(10_000));
        using var reader = new GzipMemberReader(new MemoryStream(gz[..^100]), "cut.apk");
        var e = Assert.Throws<GzipFormatException>(() => reader.NextMember()!.Drain());
        Assert.True(e.Truncated);
        Assert.Contains("cut.apk", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Garbage_after_a_member_is_an_error_naming_the_file()
    {
        var file = TestData.Gzip([1, 2, 3]).Concat(Encoding.ASCII.GetBytes("this is not gzip")).ToArray();
        using var reader = new GzipMemberReader(new MemoryStream(file), "junk.apk");
        reader.NextMember()!.Drain();
        var e = Assert.Throws<GzipFormatException>(() => reader.NextMember()!.Drain());
        Assert.False(e.Truncated);
        Assert.Equal(1, e.MemberIndex);
        Assert.Contains("junk.apk", e.Message);
    }

    [Fact]
    public void Corrupt_crc_is_detected()
    {
        var gz = TestData.Gzip(Encoding.ASCII.GetBytes("hello, hello, hello"));
        gz[^8] ^= 0xff; // first byte of the CRC-32 trailer
        using var reader = new GzipMemberReader(new MemoryStream(gz), "crc.gz");
        var e = Assert.Throws<GzipFormatException>(() => reader.NextMember()!.Drain());
        Assert.Contains("crc.gz", e.Message);
    }

    [FixtureFact]
    public void Real_package_members_are_contiguous_and_cover_the_file()
    {
        var path = Fixtures.Path("apk", "x86_64", "busybox-1.37.0-r14.apk");
        var bytes = File.ReadAllBytes(path);
        using var reader = new GzipMemberReader(File.OpenRead(path), path);
        var ends = new List<long>();
        while (reader.NextMember() is { } member)
        {
            member.Drain();
            Assert.Equal(ends.LastOrDefault(), member.Offset);
            Assert.Equal(SHA256.HashData(bytes.AsSpan((int)member.Offset, (int)member.Length)), member.Sha256.ToArray());
            ends.Add(member.Offset + member.Length);
        }
        Assert.Equal(3, ends.Count);
        Assert.Equal(bytes.Length, ends[^1]);
    }
}
