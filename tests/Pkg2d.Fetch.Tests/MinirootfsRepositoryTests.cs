using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Apk.Verification;
using Pkg2d.Testing;
using Xunit.Abstractions;

namespace Pkg2d.Fetch.Tests;

/// <summary>
/// The repository regrouped from the minirootfs is a faithful, signed Alpine repository: pkg2d's verifier and Alpine's
/// own apk accept it, and what apk installs from it is the minirootfs again, with a real busybox that runs.
/// </summary>
public class MinirootfsRepositoryTests(ITestOutputHelper output)
{
    private const string AlpineBusyboxKey = "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub";

    [FixtureFact]
    public void IndexAndEveryPackage_VerifyWithTheRepositoryKeys()
    {
        using var repo = Create();

        ApkIndex index;
        using (var file = File.OpenRead(repo.IndexPath))
            index = ApkIndexReader.ReadSigned(file, repo.Base, repo.IndexPath, TrustedKeys.Load([repo.TestKeysDir]), false, null);
        Assert.Equal(repo.KeyName, index.SignedBy);
        Assert.Equal(repo.PackageNames, index.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
        Assert.Equal(MinirootfsRepository.BusyboxVersion, index.Entries.Single(e => e.Name == "busybox").Version);

        var keys = TrustedKeys.Load(repo.KeysDirs);
        foreach (var entry in index.Entries)
        {
            using var package = File.OpenRead(Path.Combine(repo.ArchDir, entry.FileName));
            var verified = PackageVerifier.Verify(package, entry, keys, allowUntrusted: false,
                warn: w => Assert.Fail($"{entry}: {w}"));
            Assert.Equal(entry.Name == "busybox" ? AlpineBusyboxKey : repo.KeyName, verified.SignedBy);
        }

        // busybox is Alpine's file byte for byte, so the test key alone cannot vouch for it.
        var busybox = index.Entries.Single(e => e.Name == "busybox");
        var busyboxPath = Path.Combine(repo.ArchDir, busybox.FileName);
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(MinirootfsRepository.BusyboxPath)), SHA256.HashData(File.ReadAllBytes(busyboxPath)));
        using var again = File.OpenRead(busyboxPath);
        Assert.Throws<PackageVerificationException>(() =>
            PackageVerifier.Verify(again, busybox, TrustedKeys.Load([repo.TestKeysDir]), allowUntrusted: false, warn: null));
    }

    [FixtureFact]
    public void IndexRecords_CarryTheRootfsDatabaseFields()
    {
        using var repo = Create();
        var installed = ReadInstalled(ReadFromRootfs("lib/apk/db/installed"), "rootfs");
        ApkIndex index;
        using (var file = File.OpenRead(repo.IndexPath))
            index = ApkIndexReader.ReadSigned(file, repo.Base, repo.IndexPath, TrustedKeys.Load([repo.TestKeysDir]), false, null);

        Assert.Equal(installed.Keys.Order(StringComparer.Ordinal), repo.PackageNames);
        Assert.Equal("1.36.1-r29", installed["busybox"].Version);
        foreach (var entry in index.Entries.Where(e => e.Name != "busybox"))
        {
            var original = installed[entry.Name];
            Assert.Equal(original.Version, entry.Version);
            foreach (var key in "AITULomtckprq")
                Assert.True(original[key] == entry[key], $"{entry}: {key}:{entry[key]}, the rootfs has {key}:{original[key]}");
            // Only the exact pin on the rootfs's busybox is relaxed, since the repository's busybox is newer.
            Assert.Equal(original.Depends.Select(Unpinned), entry.Depends);
            Assert.Equal(original.InstallIf.Select(Unpinned), entry.InstallIf);
        }
        Assert.Contains("busybox", index.Entries.Single(e => e.Name == "busybox-binsh").Depends);
        Assert.Contains("busybox", index.Entries.Single(e => e.Name == "ssl_client").InstallIf);
        Assert.Equal(["alpine-baselayout", "alpine-keys", "apk-tools", "busybox", "libc-utils"], repo.World);
    }

    [ChrootFact]
    public void AlpineApk_InstallsTheWorld_AndTheRealBusyboxRuns()
    {
        using var repo = Create();
        using var alpine = new AlpineChroot();
        alpine.CopyIn(repo.Base, "/repo");
        foreach (var keys in repo.KeysDirs)
            alpine.CopyIn(keys, "/target/etc/apk/keys");
        File.WriteAllText(alpine.HostPath("/target/etc/apk/arch"), "x86_64\n");

        var add = alpine.Apk(["add", "--initdb", "--root", "/target", "--repository", "/repo", "--no-cache", .. repo.World]);
        output.WriteLine(add.Output);
        Assert.True(add.ExitCode == 0, add.Output);

        var installed = ReadInstalled(File.ReadAllBytes(alpine.HostPath("/target/lib/apk/db/installed")), "target");
        Assert.Equal(repo.Versions, installed.ToDictionary(p => p.Key, p => p.Value.Version).OrderBy(p => p.Key, StringComparer.Ordinal));
        // Every regrouped package put the rootfs's files, with the rootfs's checksums, owners and modes, where the rootfs had them.
        var rootfs = ReadInstalled(File.ReadAllBytes(alpine.HostPath("/lib/apk/db/installed")), "rootfs");
        foreach (var (name, package) in installed.Where(p => p.Key != "busybox"))
            Assert.Equal(Owned(rootfs[name]), Owned(package));

        var help = Run("chroot", alpine.HostPath("/target"), "/bin/busybox", "--help");
        Assert.True(help.ExitCode == 0, help.Output);
        Assert.Contains("BusyBox v1.37.0", help.Output);
        // busybox's own post-install script made the applet links, and /bin/sh (busybox-binsh) reaches it.
        var shell = Run("chroot", alpine.HostPath("/target"), "/bin/sh", "-c", "ls -l /bin/ls && stat -c '%u:%g %a' /etc/shadow");
        Assert.True(shell.ExitCode == 0, shell.Output);
        Assert.Contains("/bin/ls -> /bin/busybox", shell.Output);
        Assert.EndsWith("0:42 640\n", shell.Output);
    }

    private MinirootfsRepository Create()
    {
        var stopwatch = Stopwatch.StartNew();
        var repo = new MinirootfsRepository();
        output.WriteLine($"MinirootfsRepository created in {stopwatch.ElapsedMilliseconds} ms");
        return repo;
    }

    private static string Unpinned(string dependency) => dependency == "busybox=1.36.1-r29" ? "busybox" : dependency;

    /// <summary>The paths of a `lib/apk/db/installed` record, each with its `M:`, `a:` and `Z:` lines.</summary>
    private static List<string> Owned(ApkIndexEntry package)
    {
        var paths = new List<string>();
        var directory = "";
        foreach (var (key, value) in package.Fields)
        {
            if (key == 'F')
                paths.Add(directory = value + "/");
            else if (key == 'R')
                paths.Add(directory + value);
            else if (key is 'M' or 'a' or 'Z')
                paths[^1] += $" {key}:{value}";
        }
        return paths;
    }

    private static Dictionary<string, ApkIndexEntry> ReadInstalled(byte[] database, string source)
    {
        using var reader = new StreamReader(new MemoryStream(database));
        return ApkIndexText.Parse(reader, source, source).ToDictionary(e => e.Name);
    }

    private static byte[] ReadFromRootfs(string path)
    {
        using var file = File.OpenRead(Fixtures.MiniRootfs);
        using var tar = new TarReader(new GZipStream(file, CompressionMode.Decompress));
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name.TrimStart('.', '/') == path)
            {
                var content = new byte[entry.Length];
                entry.DataStream!.ReadExactly(content);
                return content;
            }
        }
        throw new FileNotFoundException($"{Fixtures.MiniRootfs} has no {path}");
    }

    private static (int ExitCode, string Output) Run(string tool, params string[] arguments)
    {
        var (exit, output, errors) = Tool.Run(tool, arguments);
        return (exit, output + errors);
    }
}
