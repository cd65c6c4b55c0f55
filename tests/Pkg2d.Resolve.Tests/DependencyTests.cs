namespace Pkg2d.Resolve.Tests;

public class DependencyTests
{
    [Theory]
    [InlineData("so:libc.musl-x86_64.so.1", "so:libc.musl-x86_64.so.1", VersionOp.Any, null, false, null)]
    [InlineData("!foo", "foo", VersionOp.Any, null, true, null)]
    [InlineData("bar>=1.2", "bar", VersionOp.Greater | VersionOp.Equal, "1.2", false, null)]
    [InlineData("cmd:ls", "cmd:ls", VersionOp.Any, null, false, null)]
    [InlineData("/bin/sh", "/bin/sh", VersionOp.Any, null, false, null)]
    [InlineData("baz~1.2", "baz", VersionOp.Fuzzy | VersionOp.Equal, "1.2", false, null)]
    [InlineData("baz>~1.2", "baz", VersionOp.Greater | VersionOp.Fuzzy | VersionOp.Equal, "1.2", false, null)]
    [InlineData("name@edge", "name", VersionOp.Any, null, false, "edge")]
    [InlineData("name@edge<2", "name", VersionOp.Less, "2", false, "edge")]
    [InlineData("!vlan<1.0-r1", "vlan", VersionOp.Less, "1.0-r1", true, null)]
    [InlineData("so:libz.so.1=1.2.13", "so:libz.so.1", VersionOp.Equal, "1.2.13", false, null)]
    public void ParsesIndexTokens(string token, string name, VersionOp op, string? version, bool conflict, string? tag)
    {
        var dependency = Dependency.Parse(token);
        Assert.Equal(new Dependency(name, op, version, conflict, tag), dependency);
        Assert.Equal(token, dependency.ToString());
    }

    [Theory]
    [InlineData("foo=")]
    [InlineData("foo==")]
    [InlineData("")]
    [InlineData("!")]
    [InlineData("=1.0")]
    [InlineData("foo@")]
    public void RejectsInvalidWorldEntries(string entry)
    {
        var error = Assert.Throws<SolverException>(() => Dependency.ParseWorld(entry));
        Assert.Contains($"'{entry}'", error.Message);
        Assert.Throws<FormatException>(() => Dependency.Parse(entry));
    }

    /// <summary>apk-tools 3.0 refuses these versions; index tokens keep them (apk 2.14 installs such packages), world
    /// entries do not.</summary>
    [Theory]
    [InlineData("foo=invalid")]
    [InlineData("foo>=1.0bc")]
    [InlineData("opensmtpd=6.0.2p1-r7")]
    public void InvalidVersionsAreRefusedOnlyInTheWorld(string entry)
    {
        Assert.Contains($"'{entry}'", Assert.Throws<SolverException>(() => Dependency.ParseWorld(entry)).Message);
        Assert.Equal(entry, Dependency.Parse(entry).ToString());
    }

    [Fact]
    public void UnversionedProvideOnlySatisfiesUnversionedDependencies()
    {
        Assert.True(Dependency.Parse("foo").IsSatisfiedBy(null));
        Assert.False(Dependency.Parse("foo>=1").IsSatisfiedBy(null));
        Assert.False(Dependency.Parse("!foo").IsSatisfiedBy(null));
        Assert.True(Dependency.Parse("!foo<1").IsSatisfiedBy(null));
    }
}
