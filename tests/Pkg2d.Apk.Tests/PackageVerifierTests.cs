using System.Security.Cryptography;
using Pkg2d.Apk.Format;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

public class PackageVerifierTests
{
    private const string Small = "zlib-1.2.11-r1.apk";

    [FixtureFact]
    public void Every_mirror_package_verifies_against_its_index_entry()
    {
        var packages = TestData.MirrorPackages.ToList();
        Assert.Equal(32, packages.Count);
        foreach (var path in packages)
        {
            var entry = TestData.MirrorEntry(Path.GetFileName(path));
            var warnings = new List<string>();
            using var file = File.OpenRead(path);
            var verified = PackageVerifier.Verify(file, entry, TestData.Keys, allowUntrusted: false, warnings.Add);

            Assert.Empty(warnings);
            Assert.Same(entry, verified.Entry);
            Assert.NotNull(verified.SignedBy);
            var apk = verified.Package;
            Assert.Equal(entry.Name, apk.PkgInfo.PkgName);
            Assert.NotNull(apk.SignatureMember);
            Assert.Equal(0, apk.SignatureMember.Value.Offset);
            Assert.Equal(apk.SignatureMember.Value.End, apk.ControlMember.Offset);
            Assert.Equal(apk.ControlMember.End, apk.DataMember.Offset);
            Assert.Equal(new FileInfo(path).Length, apk.DataMember.End);
            Assert.Equal(
                new FileInfo(path).Length,
                apk.SignatureMember.Value.Length + apk.ControlMember.Length + apk.DataMember.Length);
        }
    }

    [FixtureFact]
    public void Truncated_package_fails_on_size()
    {
        using var dir = new TempDir();
        var copy = dir.Copy(Path.Combine(TestData.MirrorArmhf, Small));
        using (var file = File.Open(copy, FileMode.Open))
            file.SetLength(file.Length - 1000);
        var entry = TestData.MirrorEntry(Small);

        using (var seekable = File.OpenRead(copy))
            AssertFails(seekable, entry, "size");
        // A download cannot be measured up front: the gzip member ends early instead.
        using (var forward = new ForwardOnlyStream(File.OpenRead(copy)))
            AssertFails(forward, entry, "size");
    }

    [FixtureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Changed_control_member_fails_on_checksum(bool inHeader)
    {
        using var dir = new TempDir();
        var path = Path.Combine(TestData.MirrorArmhf, Small);
        var copy = dir.Copy(path);
        var apk = ReadFacts(path);
        // Header MTIME (inflates fine, only the hash differs) or the middle of the deflate data (corrupt).
        var offset = inHeader ? apk.ControlMember.Offset + 4 : apk.ControlMember.Offset + apk.ControlMember.Length / 2;
        ApkIndexReaderTests.FlipByte(copy, offset);

        using var file = File.OpenRead(copy);
        AssertFails(file, TestData.MirrorEntry(Small), "checksum");
    }

    [FixtureTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void Changed_data_member_fails_on_datahash(bool inHeader)
    {
        using var dir = new TempDir();
        var path = Path.Combine(TestData.MirrorArmhf, Small);
        var copy = dir.Copy(path);
        var apk = ReadFacts(path);
        var offset = inHeader ? apk.DataMember.Offset + 4 : apk.DataMember.Offset + apk.DataMember.Length / 2;
        ApkIndexReaderTests.FlipByte(copy, offset);

        using var file = File.OpenRead(copy);
        AssertFails(file, TestData.MirrorEntry(Small), "datahash");
    }

    [FixtureFact]
    public void Package_signed_by_an_unknown_key_fails_on_signature()
    {
        using var rsa = TestData.TestKey();
        var otherKeys = TrustedKeys.Empty.With("someone-else.rsa.pub", rsa);
        using var file = File.OpenRead(Path.Combine(TestData.MirrorArmhf, Small));
        var e = AssertFails(file, TestData.MirrorEntry(Small), "signature", otherKeys);
        Assert.Contains("524d27bb", e.Message);
    }

    [Fact]
    public void Synthetic_signed_package_verifies_with_its_key_only()
    {
        using var rsa = TestData.TestKey();
        var bytes = SyntheticApk.Build("hello", "1.0-r0", [("usr/share/hello.txt", "hi\n"u8.ToArray())], rsa, "test.rsa.pub");
        var entry = SyntheticApk.Entry(bytes, "hello", "1.0-r0");

        var verified = PackageVerifier.Verify(new MemoryStream(bytes), entry, TrustedKeys.Empty.With("test.rsa.pub", rsa), false, null);
        Assert.Equal("test.rsa.pub", verified.SignedBy);
        Assert.Equal(["so:libc.musl-x86_64.so.1", "busybox"], verified.Package.PkgInfo.Depends);
        Assert.Equal("#!/bin/sh\n"u8.ToArray(), verified.Package.Scripts[".post-install"]);

        AssertFails(new MemoryStream(bytes), entry, "signature", TrustedKeys.Empty);
        var warnings = new List<string>();
        var untrusted = PackageVerifier.Verify(new MemoryStream(bytes), entry, TrustedKeys.Empty, true, warnings.Add);
        Assert.Null(untrusted.SignedBy);
        Assert.Contains("test.rsa.pub", Assert.Single(warnings));
    }

    [Fact]
    public void Unsigned_package_has_two_members_and_needs_untrusted()
    {
        var bytes = SyntheticApk.Build("plain", "2-r1", [("etc/plain.conf", "x=1\n"u8.ToArray())], key: null, "");
        var entry = SyntheticApk.Entry(bytes, "plain", "2-r1");

        var e = AssertFails(new MemoryStream(bytes), entry, "signature", TrustedKeys.Empty);
        Assert.Contains("not signed", e.Message);
        var verified = PackageVerifier.Verify(new MemoryStream(bytes), entry, TrustedKeys.Empty, true, null);
        Assert.Null(verified.Package.SignatureMember);
        Assert.Equal(0, verified.Package.ControlMember.Offset);
        Assert.Equal(bytes.Length, verified.Package.TotalLength);
    }

    [Fact]
    public void Package_named_differently_from_its_entry_fails_on_identity()
    {
        using var rsa = TestData.TestKey();
        var bytes = SyntheticApk.Build("hello", "1.0-r0", [("a", [1])], rsa, "test.rsa.pub");
        var real = SyntheticApk.Entry(bytes, "hello", "1.0-r0");
        var claimed = new ApkIndexEntry([.. real.Fields.Where(f => f.Key != 'V'), new('V', "1.0-r1")], "synthetic");
        AssertFails(new MemoryStream(bytes), claimed, "identity", TrustedKeys.Empty.With("test.rsa.pub", rsa));
    }

    private static ApkPackage ReadFacts(string path)
    {
        using var file = File.OpenRead(path);
        return ApkPackage.Read(file, path);
    }

    private static PackageVerificationException AssertFails(Stream package, ApkIndexEntry entry, string check, TrustedKeys? keys = null)
    {
        var e = Assert.Throws<PackageVerificationException>(() =>
            PackageVerifier.Verify(package, entry, keys ?? TestData.Keys, allowUntrusted: false, warn: null));
        Assert.Equal(check, e.Check);
        Assert.Equal(entry.ToString(), e.Package);
        Assert.Equal(entry.Repository, e.Repository);
        Assert.Contains(entry.ToString(), e.Message);
        Assert.Contains(entry.Repository, e.Message);
        Assert.Contains(check, e.Message);
        return e;
    }
}
