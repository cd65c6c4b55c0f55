using Pkg2d.Apk.Index;

namespace Pkg2d.Apk.Tests;

public class ApkIndexEntryTests
{
    private static KeyValuePair<char, string> F(char key, string value) => new(key, value);

    /// <summary>Fields in a compact form, made only when read, as an index snapshot holds them.</summary>
    private sealed class CountingFields(KeyValuePair<char, string>[] fields) : LazyFields
    {
        public HashSet<int> Read { get; } = [];

        public override int Count => fields.Length;

        public override char KeyAt(int index) => fields[index].Key;

        public override string ValueAt(int index)
        {
            Read.Add(index);
            return fields[index].Value;
        }
    }

    private static readonly KeyValuePair<char, string>[] Record =
    [
        F('C', "Q1q+3N3/4qIvJd9ZPXk3xLbKbOaZ4="), F('P', "app"), F('V', "1.0-r0"), F('A', "x86_64"), F('S', "100"),
        F('I', "200"), F('T', "first description"), F('U', "https://example.org"), F('L', "MIT"), F('o', "app"),
        F('m', "Someone <someone@example.org>"), F('t', "1700000000"), F('c', "0123abcd"), F('D', "so:libc.musl-x86_64.so.1 busybox"),
        F('p', "cmd:app=1.0-r0"), F('T', "second description"),
    ];

    [Fact]
    public void When_a_key_repeats_the_last_line_wins_but_token_lines_add_up_as_apk_reads_them()
    {
        var entry = new ApkIndexEntry([.. Record, F('D', "musl"), F('S', "300"), F('p', "cmd:other=1.0-r0"), F('i', "app"), F('i', "docs")], "repo");
        Assert.Equal("second description", entry.Description);
        Assert.Equal(300, entry.Size);
        Assert.Equal(["so:libc.musl-x86_64.so.1", "busybox", "musl"], entry.Depends);
        Assert.Equal(["cmd:app=1.0-r0", "cmd:other=1.0-r0"], entry.Provides);
        Assert.Equal("cmd:app=1.0-r0 cmd:other=1.0-r0", entry.ProvidesText.ToString());
        Assert.Equal(["app", "docs"], entry.InstallIf);
        Assert.Equal("app docs", entry.InstallIfText.ToString());
        // The indexer is the first line's, as documented.
        Assert.Equal("first description", entry['T']);
    }

    [Fact]
    public void Lazy_fields_are_read_only_when_their_views_are_asked_for_and_give_what_plain_fields_give()
    {
        var fields = new CountingFields(Record);
        var lazy = new ApkIndexEntry(fields, "repo");
        var plain = new ApkIndexEntry(Record, "repo");

        // Description, URL, licence, origin, maintainer, commit and the token lists are not read to make an entry.
        var unread = new[] { 6, 7, 8, 9, 10, 12, 13, 14, 15 };
        Assert.DoesNotContain(fields.Read, unread.Contains);

        Assert.Equal((plain.Name, plain.Version, plain.Arch, plain.Size, plain.InstalledSize, plain.BuildTime, plain.Checksum),
            (lazy.Name, lazy.Version, lazy.Arch, lazy.Size, lazy.InstalledSize, lazy.BuildTime, lazy.Checksum));
        Assert.Equal((plain.Description, plain.Url, plain.License, plain.Origin, plain.Maintainer, plain.Commit),
            (lazy.Description, lazy.Url, lazy.License, lazy.Origin, lazy.Maintainer, lazy.Commit));
        Assert.Equal(plain.Depends, lazy.Depends);
        Assert.Equal(plain.Provides, lazy.Provides);
        Assert.Equal(plain.ProvidesText.ToString(), lazy.ProvidesText.ToString());
        Assert.Equal(plain.Fields, lazy.Fields);
    }
}
