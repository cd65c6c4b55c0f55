using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text;
using Pkg2d.Apk.Index;

namespace Pkg2d.Apk.Tests;

/// <summary>Builds small APK v2 packages the way abuild lays them out, signed with a test key or not at all.</summary>
internal static class SyntheticApk
{
    public static byte[] Build(string name, string version, IReadOnlyList<(string Path, byte[] Content)> files, RSA? key, string keyName)
    {
        var dataTar = new MemoryStream();
        using (var writer = new TarWriter(dataTar, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path,
                    new Dictionary<string, string> { ["APK-TOOLS.checksum.SHA1"] = TestData.Sha1Hex(content) })
                {
                    DataStream = new MemoryStream(content),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                };
                writer.WriteEntry(entry);
            }
        }
        var data = TestData.Gzip(dataTar.ToArray());

        var pkgInfo = $"# Generated for a test\npkgname = {name}\npkgver = {version}\narch = noarch\nsize = 42\n" +
                      $"depend = so:libc.musl-x86_64.so.1\ndepend = busybox\ndatahash = {Convert.ToHexStringLower(SHA256.HashData(data))}\n";
        var control = TestData.Gzip(UnterminatedTar((".PKGINFO", Encoding.UTF8.GetBytes(pkgInfo)), (".post-install", "#!/bin/sh\n"u8.ToArray())));
        if (key is null)
            return [.. control, .. data];

        var signature = key.SignData(control, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var signatureMember = TestData.Gzip(UnterminatedTar((".SIGN.RSA256." + keyName, signature)));
        return [.. signatureMember, .. control, .. data];
    }

    /// <summary>An index entry describing <paramref name="package"/>.</summary>
    public static ApkIndexEntry Entry(byte[] package, string name, string version)
    {
        var controlSha1 = ControlSha1(package);
        return new ApkIndexEntry(
        [
            new('C', "Q1" + Convert.ToBase64String(controlSha1)), new('P', name), new('V', version),
            new('S', package.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], "synthetic");
    }

    private static byte[] ControlSha1(byte[] package)
    {
        var apk = Format.ApkPackage.Read(new MemoryStream(package), "synthetic");
        return apk.ControlSha1.ToArray();
    }

    /// <summary>A tar without its end-of-archive blocks, as abuild writes the signature and control tars.</summary>
    private static byte[] UnterminatedTar(params (string Name, byte[] Content)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in files)
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        }
        return tar.ToArray()[..^1024];
    }
}
