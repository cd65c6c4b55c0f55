using Pkg2d.Image.Shell;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>Expected values were seen with busybox 1.36's chmod in Alpine's minirootfs under umask 022 (077 where stated).</summary>
public sealed class ModeSpecTests
{
    [Theory]
    [InlineData("0", "+w", false, "200")]
    [InlineData("777", "-w", false, "577")]
    [InlineData("0", "=w", false, "200")]
    [InlineData("0", "+s", false, "6000")]
    [InlineData("0", "u+s", false, "4000")]
    [InlineData("0", "o+t", false, "0")]
    [InlineData("0", "u+t", false, "0")]
    [InlineData("0", "+t", false, "1000")]
    [InlineData("644", "a+t", false, "1644")]
    [InlineData("750", "g=u", false, "770")]
    [InlineData("750", "o=u", false, "757")]
    [InlineData("644", "u=g", false, "444")]
    [InlineData("640", "o+g", false, "644")]
    [InlineData("0", "a=rx", false, "555")]
    [InlineData("0", "+r", false, "444")]
    [InlineData("600", "+x", false, "711")]
    [InlineData("100", "u+x-x", false, "0")]
    [InlineData("0", "u+r-w+x", false, "500")]
    [InlineData("0", "=rwx", false, "755")]
    [InlineData("0", "u=rwx,g=rx,o=", false, "750")]
    [InlineData("0", "00755", false, "755")]
    [InlineData("0", "7777", false, "7777")]
    [InlineData("0", "+rwxXst", false, "7755")]
    [InlineData("0", ",u+x", false, "100")]
    [InlineData("0", "u+x,", false, "100")]
    [InlineData("600", "+", false, "600")]
    [InlineData("0", "u+wrx+", false, "700")]
    [InlineData("644", "a+X", false, "644")]
    [InlineData("755", "a-x,a+X", false, "644")]
    [InlineData("600", "+X", true, "711")]
    [InlineData("4755", "g-s,u-s", false, "755")]
    [InlineData("2755", "755", true, "755")]
    [InlineData("644", "go=", false, "600")]
    [InlineData("644", "u+rwxs,g+s", false, "6744")]
    [InlineData("644", "ug+t", false, "644")]
    public void ChmodLikeBusybox(string current, string mode, bool isDirectory, string expected) =>
        Assert.Equal(Convert.ToInt32(expected, 8), ModeSpec.Parse(mode).Apply(Convert.ToInt32(current, 8), isDirectory));

    [Theory]
    [InlineData("+w", "200")]
    [InlineData("+r", "400")]
    [InlineData("=rw", "600")]
    [InlineData("a+w", "222")]
    public void ClausesWithoutWhoFollowTheUmask(string mode, string expected) =>
        Assert.Equal(Convert.ToInt32(expected, 8), ModeSpec.Parse(mode).Apply(0, false, umask: Convert.ToInt32("077", 8)));

    [Theory]
    [InlineData("17777")]
    [InlineData("X")]
    [InlineData("u")]
    [InlineData("8")]
    [InlineData("75x")]
    [InlineData("u+q")]
    public void InvalidModes(string mode)
    {
        Assert.Null(ModeSpec.TryParse(mode));
        Assert.Throws<FormatException>(() => ModeSpec.Parse(mode));
    }
}
