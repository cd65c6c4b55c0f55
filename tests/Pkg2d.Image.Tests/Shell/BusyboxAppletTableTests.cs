using Pkg2d.Image.Shell;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>
/// The applet table read out of real busybox binaries equals what each busybox says it installs: the list newer
/// packages ship in etc/busybox-paths.d, and for Alpine 3.7's armhf busybox 1.27 (which ships none) its own
/// `busybox --list-full`, run under qemu-arm with the mirror's musl.
/// </summary>
public sealed class BusyboxAppletTableTests
{
    [FixtureTheory]
    [InlineData("rootfs/alpine-minirootfs-3.20.3-x86_64.tar.gz", "./bin/busybox", "./etc/busybox-paths.d/busybox")]
    [InlineData("apk/x86_64/busybox-1.37.0-r14.apk", "bin/busybox", "etc/busybox-paths.d/busybox")]
    public void The_table_of_a_listing_busybox_is_its_list(string archive, string binary, string list)
    {
        using var work = new TempDirectory("pkg2d-bbtable-");
        Tool.Run("tar", ["-xzf", Fixtures.Path(archive.Split('/')), "-C", work.Path, binary, list]);
        var expected = File.ReadAllLines(work.Combine(list.TrimStart('.', '/'))).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

        var table = BusyboxAppletTable.Read(File.ReadAllBytes(work.Combine(binary.TrimStart('.', '/'))));

        Assert.NotNull(table);
        Assert.True(expected.Count > 300);
        Assert.Equal(expected, table);
    }

    [ToolFact("qemu-arm", "tar")]
    public void The_table_of_an_old_busybox_is_what_it_lists_itself()
    {
        using var work = new TempDirectory("pkg2d-bbtable-");
        foreach (var package in new[] { "musl", "busybox" })
            Tool.Run("tar", ["-xzf", Fixtures.MirrorPackage(package), "-C", work.Path]);
        Assert.False(File.Exists(work.Combine("etc", "busybox-paths.d", "busybox")));
        var busybox = work.Combine("bin", "busybox");
        var expected = Tool.RunOk("qemu-arm", "-L", work.Path, busybox, "--list-full").Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var table = BusyboxAppletTable.Read(File.ReadAllBytes(busybox));

        Assert.NotNull(table);
        Assert.Equal(306, expected.Length);
        Assert.Equal(expected, table);
    }

    [Fact]
    public void A_binary_without_one_clear_table_gives_none()
    {
        Assert.Null(BusyboxAppletTable.Read("no applets here"u8));
        // Names but no run of install codes.
        Assert.Null(BusyboxAppletTable.Read("\0[\0[[\0ls\0\0"u8));
        // Two runs that could both be the codes: which one is not known.
        Assert.Null(BusyboxAppletTable.Read("\x33\x01\x33\0[\0[[\0\0"u8));
        // [ in /usr/bin (3), [[ in /usr/sbin (4), ls in /bin (1): low nibble first, the last byte half used.
        Assert.Equal(["usr/bin/[", "usr/sbin/[[", "bin/ls"], BusyboxAppletTable.Read("\x43\x01[\0[[\0ls\0\0"u8));
    }
}
