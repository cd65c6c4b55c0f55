using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Testing;
using static Pkg2d.Testing.TarBytes;

namespace Pkg2d.Apk.Tests;

/// <summary>
/// What pkg2d reads from a mirror (APKINDEX text, APKINDEX.tar.gz, .apk files), fed a few hundred seeded bad
/// variants of real fixture files: each must parse or fail with <see cref="ApkFormatException"/> (or a subclass),
/// within a time bound and without allocating far more than its size. A failure names the case number, the seed
/// and the mutation, so `new Random(Seed)` replays it.
/// </summary>
public sealed class FuzzTests
{
    private const int Seed = 0x5eed_0a9c;

    private static string IsoArch => Path.Combine(Fixtures.IsoMirrorBase, "x86_64");

    private static string IsoIndexPath => Path.Combine(IsoArch, "APKINDEX.tar.gz");

    /// <summary>Small real packages: no scripts, a symlink with an install script, a virtual package.</summary>
    private static readonly string[] SeedPackages = ["libc-utils-0.7.2-r5.apk", "busybox-binsh-1.36.1-r15.apk", "alpine-base-3.19.1-r0.apk"];

    private static readonly Lazy<TrustedKeys> Keys = new(() => TrustedKeys.Load([Fixtures.KeysDir]));

    private static readonly Lazy<ApkIndex> IsoIndex = new(() =>
    {
        using var file = File.OpenRead(IsoIndexPath);
        return ApkIndexReader.ReadSigned(file, IsoArch, IsoIndexPath, Keys.Value, allowUntrusted: false, warn: null);
    });

    /// <summary>The APKINDEX text of the real v3.19 install index, taken out of its archive with the framework's own gzip and tar.</summary>
    private static byte[] RealIndexText()
    {
        using var file = File.OpenRead(IsoIndexPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == "APKINDEX" && entry.DataStream is { } data)
            {
                var copy = new MemoryStream();
                data.CopyTo(copy);
                return copy.ToArray();
            }
        }
        throw new InvalidOperationException("no APKINDEX in " + IsoIndexPath);
    }

    // Generated from the real APKINDEX text: bit flips, truncation, lines deleted/duplicated/swapped, random bytes
    // inserted, huge values and numbers, broken keys, CR/LF games, plus fully random bytes and random `X:value` lines.
    // Each goes through ReadText (bytes, UTF-8) and every typed view of the entries it yields is read.
    [FixtureFact]
    public void Apkindex_text_parses_or_fails_with_a_format_error()
    {
        var real = RealIndexText();
        var random = new Random(Seed);
        var failures = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var (data, what) = i < 20 ? FuzzBytes.RandomBytes(random) : i < 40 ? RandomIndexLines(random) : MutateText(random, real);
            var label = $"APKINDEX text case {i} (seed {Seed}): {what}";
            FuzzRun.Check(failures, label, 64L * 1024 * 1024 + 40L * data.Length, [typeof(ApkFormatException)], () =>
            {
                var index = ApkIndexReader.ReadText(new MemoryStream(data), "repo", "APKINDEX", allowUntrusted: true, warn: null);
                foreach (var entry in index.Entries)
                    Touch(entry);
            });
        }
        FuzzRun.AssertNone(failures);
    }

    // Generated from the real signed APKINDEX.tar.gz: raw byte damage aimed at each gzip member's header, deflate data
    // and trailer; truncation, insertion, deletion, duplicated/dropped/swapped/extra members; and the index tar itself
    // altered (header fields, huge sizes, type flags, names, the APKINDEX content) and recompressed; plus random bytes
    // and gzipped random bytes. Read signed with and without allowing untrusted indexes.
    [FixtureFact]
    public void Apkindex_archive_reads_or_fails_with_a_format_error() => FuzzArchive(reported: false);

    // As above, with hostile tar header values: base-256 sizes that overflow a long (OverflowException from
    // TarReader), the sparse and multi-volume type flags 'S'/'V' (NotSupportedException), and an APKINDEX entry
    // claiming up to 1 GiB (the text buffer grows with what arrives, not with the claim).
    [FixtureFact]
    public void Apkindex_archive_with_hostile_tar_headers_reads_or_fails_with_a_format_error() => FuzzArchive(reported: true);

    private static void FuzzArchive(bool reported)
    {
        var real = File.ReadAllBytes(IsoIndexPath);
        var members = TarBytes.Members(real);
        var seed = reported ? Seed + 11 : Seed + 1;
        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < 400; i++)
        {
            var (data, what) = i < 15 ? FuzzBytes.RandomBytes(random) : i < 30 ? FuzzBytes.GzippedRandom(random)
                : random.Next(3) == 0 || reported ? FuzzBytes.MutateTarMember(random, real, members, members.Count - 1, reported) : FuzzBytes.MutateArchive(random, real, members);
            var allowUntrusted = i % 2 == 0;
            var label = $"APKINDEX.tar.gz case {i} (seed {seed}, allowUntrusted {allowUntrusted}): {what}";
            FuzzRun.Check(failures, label, 64L * 1024 * 1024 + 100L * data.Length, [typeof(ApkFormatException)], () =>
            {
                var index = ApkIndexReader.ReadSigned(new MemoryStream(data), "repo", "APKINDEX.tar.gz", Keys.Value, allowUntrusted, warn: null);
                foreach (var entry in index.Entries)
                    Touch(entry);
            });
        }
        FuzzRun.AssertNone(failures);
    }

    // The smallest case of the memory finding above: the APKINDEX entry's header claims 1 GiB in a 12 KiB archive.
    [FixtureFact]
    public void Apkindex_archive_with_a_huge_claimed_apkindex_size_stays_small()
    {
        var real = File.ReadAllBytes(IsoIndexPath);
        var members = TarBytes.Members(real);
        var tar = TarBytes.Inflate(real, members[^1]);
        var header = TarBytes.TarHeaders(tar).Single(h => TarBytes.TarName(tar, h) == "APKINDEX");
        TarBytes.WriteOctal(tar, header + 124, 12, 1L << 30);
        TarBytes.FixChecksum(tar, header);
        var data = TarBytes.Replace(real, members[^1], TarBytes.Gzip(tar));
        var failures = new List<string>();
        FuzzRun.Check(failures, "APKINDEX entry size 1 GiB", 256L * 1024 * 1024, [typeof(ApkFormatException)], () =>
            ApkIndexReader.ReadSigned(new MemoryStream(data), "repo", "APKINDEX.tar.gz", Keys.Value, allowUntrusted: true, warn: null));
        FuzzRun.AssertNone(failures);
    }

    // Generated from three small real packages of the v3.19 mirror: the same raw damage as for the index archive (per
    // member: signature, control, data), plus the signature, control and data tars altered and recompressed and
    // .PKGINFO edited (lines dropped, duplicated, junk values). Verified against the package's real index entry, from
    // a seekable stream or forward-only as a download, with and without allowing untrusted packages, the data member
    // read through by an observer as the scanner does.
    [FixtureFact]
    public void Package_verifier_verifies_or_fails_with_a_format_error() => FuzzPackages(reported: false);

    // As above, with the hostile tar header values of the index archive (overflowing base-256 sizes, 'S'/'V' types).
    [FixtureFact]
    public void Package_verifier_with_hostile_tar_headers_verifies_or_fails_with_a_format_error() => FuzzPackages(reported: true);

    private static void FuzzPackages(bool reported)
    {
        var seeds = SeedPackages.Select(name => (Name: name, Bytes: File.ReadAllBytes(Path.Combine(IsoArch, name)))).ToArray();
        var entries = seeds.Select(s => IsoIndex.Value.Entries.Single(e => e.FileName == s.Name)).ToArray();
        var seed = reported ? Seed + 12 : Seed + 2;
        var random = new Random(seed);
        var failures = new List<string>();
        for (var i = 0; i < 420; i++)
        {
            var which = i % seeds.Length;
            var (name, real) = seeds[which];
            var members = TarBytes.Members(real);
            var (data, what) = i < 15 ? FuzzBytes.RandomBytes(random) : i < 30 ? FuzzBytes.GzippedRandom(random)
                : reported ? FuzzBytes.MutateTarMember(random, real, members, random.Next(members.Count), reported) : random.Next(5) switch
                {
                    0 => FuzzBytes.MutateTarMember(random, real, members, random.Next(members.Count), reported),
                    1 => FuzzBytes.MutatePkgInfo(random, real, members),
                    _ => FuzzBytes.MutateArchive(random, real, members),
                };
            var forwardOnly = random.Next(3) != 0;
            var allowUntrusted = random.Next(2) == 0;
            var label = $"package case {i} (seed {seed}, {name}, {(forwardOnly ? "forward-only" : "seekable")}, allowUntrusted {allowUntrusted}): {what}";
            FuzzRun.Check(failures, label, 64L * 1024 * 1024 + 100L * data.Length, [typeof(ApkFormatException)], () =>
            {
                Stream stream = forwardOnly ? new ForwardOnlyStream(new MemoryStream(data)) : new MemoryStream(data);
                using (stream)
                    PackageVerifier.Verify(stream, entries[which], Keys.Value, allowUntrusted, warn: null, data => data.CopyTo(Stream.Null));
                var apk = ApkPackage.Read(new MemoryStream(data), name);
                _ = (apk.PkgInfo.Size, apk.PkgInfo.BuildDate, apk.PkgInfo.ProviderPriority, apk.PkgInfo.Depends, apk.PkgInfo.Provides, apk.ToString());
            });
        }
        FuzzRun.AssertNone(failures);
    }

    // The smallest case of the PAX finding: the control tar's PAX header of .PKGINFO claims 4 GiB in a 1.5 KiB package;
    // TarReader would buffer the extended attributes it is promised before the short content is noticed.
    [FixtureFact]
    public void Package_with_a_huge_claimed_pax_header_size_stays_small()
    {
        var real = File.ReadAllBytes(Path.Combine(IsoArch, "busybox-binsh-1.36.1-r15.apk"));
        var members = TarBytes.Members(real);
        var tar = TarBytes.Inflate(real, members[1]);
        var header = TarBytes.TarHeaders(tar).First(h => tar[h + 156] == (byte)'x');
        TarBytes.WriteOctal(tar, header + 124, 12, 4L << 30);
        TarBytes.FixChecksum(tar, header);
        var data = TarBytes.Replace(real, members[1], TarBytes.Gzip(tar));
        var entry = IsoIndex.Value.Entries.Single(e => e.FileName == "busybox-binsh-1.36.1-r15.apk");
        var failures = new List<string>();
        FuzzRun.Check(failures, "control tar PAX header size 4 GiB", 64L * 1024 * 1024, [typeof(ApkFormatException)], () =>
            PackageVerifier.Verify(new ForwardOnlyStream(new MemoryStream(data)), entry, Keys.Value, allowUntrusted: true, warn: null));
        FuzzRun.AssertNone(failures);
    }

    /// <summary>Reads every typed view of an entry, lazily parsed ones included.</summary>
    private static void Touch(ApkIndexEntry entry) =>
        _ = (entry.Depends, entry.Provides, entry.InstallIf, entry.ProvidesText.Length, entry.InstallIfText.Length, entry.Description,
            entry.Url, entry.License, entry.Origin, entry.Maintainer, entry.Commit, entry.Checksum?.Key, entry.FileName, entry['X']);

    private static (byte[], string) RandomIndexLines(Random random)
    {
        var text = new StringBuilder();
        var lines = random.Next(1, 200);
        for (var l = 0; l < lines; l++)
        {
            if (random.Next(6) == 0)
            {
                text.Append('\n');
                continue;
            }
            text.Append("PVASItkDpiCTULomc"[random.Next(17)]).Append(':');
            text.Append(random.Next(4) switch
            {
                0 => random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                1 => "Q" + random.Next(4) + Convert.ToBase64String(FuzzBytes.Bytes(random, random.Next(40))),
                2 => new string('9', random.Next(1, 40)),
                _ => FuzzBytes.Text(random, random.Next(30)),
            }).Append(random.Next(5) == 0 ? "\r\n" : "\n");
        }
        return (Encoding.UTF8.GetBytes(text.ToString()), $"{lines} random X:value lines");
    }

    private static (byte[], string) MutateText(Random random, byte[] real)
    {
        var lines = Encoding.UTF8.GetString(real).Split('\n').ToList();
        string Joined() => string.Join('\n', lines);
        int Line() => random.Next(lines.Count);
        switch (random.Next(12))
        {
            case 0:
                return FuzzBytes.FlipBits(random, real, 0, real.Length);
            case 1:
                return FuzzBytes.Truncate(random, real, 0, real.Length);
            case 2:
                return FuzzBytes.Insert(random, real, 0, real.Length);
            case 3:
            {
                var (at, count) = (Line(), random.Next(1, 20));
                lines.RemoveRange(at, Math.Min(count, lines.Count - at));
                return (Encoding.UTF8.GetBytes(Joined()), $"lines {at}+{count} removed");
            }
            case 4:
            {
                var (at, times) = (Line(), random.Next(1, 5));
                lines.InsertRange(at, Enumerable.Repeat(lines[at], times));
                return (Encoding.UTF8.GetBytes(Joined()), $"line {at} duplicated {times} times");
            }
            case 5:
            {
                var (a, b) = (Line(), Line());
                (lines[a], lines[b]) = (lines[b], lines[a]);
                return (Encoding.UTF8.GetBytes(Joined()), $"lines {a} and {b} swapped");
            }
            case 6:
            {
                var at = Line();
                var key = lines[at].Length > 0 ? lines[at][0] : 'T';
                var value = random.Next(3) switch
                {
                    0 => new string('x', random.Next(1, 4 << 20)),
                    1 => "-" + new string('9', random.Next(1, 30)),
                    _ => new string('9', random.Next(18, 400)),
                };
                lines[at] = key + ":" + value;
                return (Encoding.UTF8.GetBytes(Joined()), $"line {at} ({key}:) given a value of {value.Length} chars starting '{value[..Math.Min(5, value.Length)]}'");
            }
            case 7:
            {
                var at = Line();
                var key = "SIktkCDpi\0:\r \uFFFF"[random.Next(15)];
                var value = random.Next(2) == 0 ? "" : FuzzBytes.Text(random, random.Next(20));
                lines[at] = key + ":" + value;
                return (Encoding.UTF8.GetBytes(Joined()), $"line {at} replaced by key U+{(int)key:X4} value '{value}'");
            }
            case 8:
            {
                var at = Line();
                lines[at] = lines[at].Replace(":", "", StringComparison.Ordinal);
                return (Encoding.UTF8.GetBytes(Joined()), $"line {at} without its colon");
            }
            case 9:
            {
                var separator = new[] { "\r\n", "\r", "\n\n\n", "\n\r\n" }[random.Next(4)];
                return (Encoding.UTF8.GetBytes(string.Join(separator, lines)), $"lines joined by {separator.Replace("\r", "CR").Replace("\n", "LF")}");
            }
            case 10:
            {
                var at = Line();
                lines[at] = "C:Q" + random.Next(4) + Convert.ToBase64String(FuzzBytes.Bytes(random, random.Next(40)))[..^random.Next(2)];
                return (Encoding.UTF8.GetBytes(Joined()), $"line {at} became {lines[at]}");
            }
            default:
            {
                var bom = random.Next(2) == 0;
                return ([.. bom ? "\uFEFF"u8.ToArray() : [], .. real, .. bom ? [] : "\n\n\n\0"u8.ToArray()], bom ? "byte order mark prefixed" : "trailing blank lines and NUL");
            }
        }
    }
}

/// <summary>Byte-level mutations of gzip streams and the tars inside them; each returns the bytes and what was done.</summary>
file static class FuzzBytes
{
    public static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private const string Alphabet = " abcxyz019-_.:=<>!/\\\"'$\t\u00e9\u4e00\0";

    public static string Text(Random random, int length) => new([.. Enumerable.Range(0, length).Select(_ => Alphabet[random.Next(Alphabet.Length)])]);

    public static (byte[], string) RandomBytes(Random random)
    {
        var length = random.Next(5) == 0 ? random.Next(8) : random.Next(1, 8192);
        var bytes = Bytes(random, length);
        if (length >= 2 && random.Next(2) == 0)
            (bytes[0], bytes[1]) = (0x1f, 0x8b);
        return (bytes, $"{length} random bytes{(length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b ? " after a gzip magic" : "")}");
    }

    public static (byte[], string) GzippedRandom(Random random)
    {
        var length = random.Next(0, 4096);
        var content = Bytes(random, length);
        if (random.Next(2) == 0)
        {
            // A tar header block of random fields with a valid checksum.
            content = [.. content, .. new byte[512 - content.Length % 512]];
            if (content.Length >= 512)
            {
                content[156] = (byte)"0125x"[random.Next(5)];
                FixChecksum(content, 0);
            }
        }
        return (Gzip(content), $"gzip of {content.Length} random bytes");
    }

    public static (byte[], string) FlipBits(Random random, byte[] data, int from, int to)
    {
        var copy = (byte[])data.Clone();
        var count = random.Next(1, 4);
        var at = new List<int>();
        for (var n = 0; n < count && to > from; n++)
        {
            var i = random.Next(from, to);
            copy[i] ^= (byte)(1 << random.Next(8));
            at.Add(i);
        }
        return (copy, $"bits flipped at {string.Join(',', at)}");
    }

    public static (byte[], string) Truncate(Random random, byte[] data, int from, int to)
    {
        var at = random.Next(from, Math.Max(from + 1, to));
        return (data[..Math.Min(at, data.Length)], $"truncated to {at} bytes");
    }

    public static (byte[], string) Insert(Random random, byte[] data, int from, int to)
    {
        var at = random.Next(from, Math.Max(from + 1, to));
        var junk = Bytes(random, random.Next(1, 64));
        return ([.. data.AsSpan(0, at), .. junk, .. data.AsSpan(at)], $"{junk.Length} random bytes inserted at {at}");
    }

    /// <summary>Damage to the raw bytes of a file of gzip members, mostly aimed at one member's header, body or trailer.</summary>
    public static (byte[], string) MutateArchive(Random random, byte[] real, List<(long Offset, long Length)> members)
    {
        var m = random.Next(members.Count);
        var (offset, length) = ((int)members[m].Offset, (int)members[m].Length);
        var (from, to, part) = random.Next(3) switch
        {
            0 => (offset, offset + 10, "header"),
            1 => (offset + length - 8, offset + length, "trailer"),
            _ => (offset + 10, offset + length - 8, "deflate data"),
        };
        var where = $"member {m} {part}";
        switch (random.Next(9))
        {
            case 0 or 1 or 2:
            {
                var (data, what) = FlipBits(random, real, from, to);
                return (data, $"{where}: {what}");
            }
            case 3:
            {
                var (data, what) = Truncate(random, real, from, to);
                return (data, $"{where}: {what}");
            }
            case 4:
            {
                var (data, what) = Insert(random, real, from, to);
                return (data, $"{where}: {what}");
            }
            case 5:
            {
                var start = random.Next(from, to);
                var count = random.Next(1, Math.Max(2, to - start));
                return ([.. real.AsSpan(0, start), .. real.AsSpan(Math.Min(real.Length, start + count))], $"{where}: {count} bytes deleted at {start}");
            }
            case 6:
                return random.Next(3) switch
                {
                    0 => (Replace(real, members[m], []), $"member {m} removed"),
                    1 => (Replace(real, members[m], [.. real.AsSpan(offset, length), .. real.AsSpan(offset, length)]), $"member {m} duplicated"),
                    _ => ([.. real, .. Gzip(Bytes(random, random.Next(600)))], "an extra gzip member of random bytes appended"),
                };
            case 7:
            {
                var (o, l) = ((int)members[^1].Offset, (int)members[^1].Length);
                return ([.. real.AsSpan(o, l), .. real.AsSpan(0, o)], "last member moved first");
            }
            default:
            {
                // A gzip header field: flags (FEXTRA, FNAME, FCOMMENT, FHCRC) or the method byte.
                var copy = (byte[])real.Clone();
                var field = offset + (random.Next(2) == 0 ? 3 : 2);
                copy[field] = (byte)random.Next(256);
                return (copy, $"{where}: gzip header byte {field - offset} set to {copy[field]}");
            }
        }
    }

    /// <summary>
    /// A member's tar altered and recompressed: a header field (size, mode, ids, mtime, type, name, link name, magic)
    /// given a bad, huge or hostile value, mostly with its checksum made valid again so the damage reaches the reader.
    /// Unless <paramref name="reported"/>, values of the reported findings are left out: base-256 sizes, the 'S' and 'V'
    /// type flags, and sizes over 8 MiB for the entries read whole (APKINDEX, bin/busybox, PAX extended headers).
    /// </summary>
    public static (byte[], string) MutateTarMember(Random random, byte[] real, List<(long Offset, long Length)> members, int m, bool reported)
    {
        var tar = Inflate(real, members[m]);
        var headers = TarHeaders(tar);
        var changes = new List<string>();
        for (var n = random.Next(1, 3); n > 0; n--)
        {
            var header = headers[random.Next(headers.Count)];
            var name = TarName(tar, header);
            switch (random.Next(8))
            {
                case 0 or 1:
                {
                    var kind = random.Next(5);

                    long value = kind switch
                    {
                        0 => random.NextInt64(0, 1L << 33),
                        1 => 8L << 30,
                        2 => random.Next(0, 4096),
                        _ => 0,
                    };
                    if ((name is "APKINDEX" or "bin/busybox" || tar[header + 156] is (byte)'x' or (byte)'g') && !reported)
                        value = Math.Min(value, 8 << 20);
                    if (kind == 3 && !reported)
                        kind = 2;
                    if (kind < 3)
                    {
                        WriteOctal(tar, header + 124, 12, value);
                        changes.Add($"'{name}' size {value}");
                    }
                    else if (kind == 3)
                    {
                        // base-256: 0x80 then a big-endian number, or 0xff (negative).
                        tar.AsSpan(header + 124, 12).Clear();
                        tar[header + 124] = random.Next(2) == 0 ? (byte)0x80 : (byte)0xff;
                        BinaryPrimitives.WriteInt64BigEndian(tar.AsSpan(header + 128, 8), random.Next(2) == 0 ? long.MaxValue : -1);
                        changes.Add($"'{name}' size base-256 {Convert.ToHexString(tar, header + 124, 12)}");
                    }
                    else
                    {
                        Encoding.ASCII.GetBytes("9x-+ 8 \0abc").CopyTo(tar, header + 124);
                        changes.Add($"'{name}' size not octal");
                    }
                    break;
                }
                case 2:
                {
                    var (at, width, field) = new[] { (100, 8, "mode"), (108, 8, "uid"), (116, 8, "gid"), (136, 12, "mtime"), (329, 8, "devmajor") }[random.Next(5)];
                    var bytes = Bytes(random, width);
                    if (!reported)
                        bytes[0] &= 0x7f; // not a base-256 number, which may overflow (reported)
                    bytes.CopyTo(tar, header + at);
                    changes.Add($"'{name}' {field} random bytes");
                    break;
                }
                case 3:
                {
                    var types = reported ? "SV" : "0123456xgLK\0\u00ff";
                    var type = types[random.Next(types.Length)];
                    tar[header + 156] = (byte)type;
                    changes.Add($"'{name}' type flag 0x{(int)type:x2}");
                    break;
                }
                case 4:
                {
                    var bad = new[] { "../../etc/passwd", "/abs", "a/.wh.b", "bin/busybox", "etc/passwd", "etc/busybox-paths.d/x", "APKINDEX", ".PKGINFO", ".SIGN.RSA.x", "", new string('n', 100) }[random.Next(11)];
                    tar.AsSpan(header, 100).Clear();
                    Encoding.ASCII.GetBytes(bad).CopyTo(tar, header);
                    changes.Add($"'{name}' renamed '{(bad.Length > 20 ? bad[..20] + "..." : bad)}'");
                    break;
                }
                case 5:
                {
                    tar.AsSpan(header + 157, 100).Clear();
                    Encoding.ASCII.GetBytes(new[] { "..", "/", "nowhere", "../../x", name }[random.Next(5)]).CopyTo(tar, header + 157);
                    changes.Add($"'{name}' link name changed");
                    break;
                }
                case 6:
                {
                    Bytes(random, 8).CopyTo(tar, header + 257);
                    changes.Add($"'{name}' magic and version random");
                    break;
                }
                default:
                {
                    var at = header + 512 + random.Next(512);
                    if (at < tar.Length)
                        tar[at] ^= (byte)(1 << random.Next(8));
                    changes.Add($"'{name}' content byte {at - header - 512} flipped");
                    break;
                }
            }
            var keep = random.Next(8) == 0;
            if (!keep)
                FixChecksum(tar, header);
            else
                changes.Add("checksum left stale");
        }
        if (random.Next(6) == 0)
        {
            var cut = random.Next(tar.Length);
            tar = tar[..cut];
            changes.Add($"tar cut to {cut} bytes");
        }
        return (Replace(real, members[m], Gzip(tar)), $"member {m} tar: {string.Join("; ", changes)}");
    }

    /// <summary>A package whose .PKGINFO (in the control tar) is edited: lines removed, duplicated, junk values for numeric keys.</summary>
    public static (byte[], string) MutatePkgInfo(Random random, byte[] real, List<(long Offset, long Length)> members)
    {
        var m = members.Count - 2;
        var tar = Inflate(real, members[m]);
        var header = TarHeaders(tar).First(h => TarName(tar, h).EndsWith(".PKGINFO", StringComparison.Ordinal));
        var size = (int)Convert.ToInt64(Encoding.ASCII.GetString(tar, header + 124, 11), 8);
        var lines = Encoding.UTF8.GetString(tar, header + 512, size).Split('\n').ToList();
        string what;
        switch (random.Next(4))
        {
            case 0:
                var at = random.Next(lines.Count);
                what = $"line '{lines[at]}' removed";
                lines.RemoveAt(at);
                break;
            case 1:
                var line = $"{new[] { "size", "builddate", "provider_priority", "replaces_priority", "pkgname", "pkgver", "datahash", "depend" }[random.Next(8)]} = {new[] { "99999999999999999999", "-1", "x", "", "2147483648", " 1" }[random.Next(6)]}";
                lines.Insert(random.Next(lines.Count), line);
                what = $"line '{line}' added";
                break;
            case 2:
                var junk = Text(random, random.Next(1, 40));
                lines.Insert(random.Next(lines.Count), junk);
                what = $"junk line added";
                break;
            default:
                var dup = random.Next(lines.Count);
                lines.Insert(dup, lines[dup]);
                what = $"line '{lines[dup]}' duplicated";
                break;
        }
        var content = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        var rebuilt = new byte[header + 512 + (content.Length + 511) / 512 * 512 + (tar.Length - (header + 512 + (size + 511) / 512 * 512))];
        tar.AsSpan(0, header + 512).CopyTo(rebuilt);
        content.CopyTo(rebuilt, header + 512);
        tar.AsSpan(header + 512 + (size + 511) / 512 * 512).CopyTo(rebuilt.AsSpan(header + 512 + (content.Length + 511) / 512 * 512));
        WriteOctal(rebuilt, header + 124, 12, content.Length);
        FixChecksum(rebuilt, header);
        return (Replace(real, members[m], Gzip(rebuilt)), $".PKGINFO {what}");
    }
}
