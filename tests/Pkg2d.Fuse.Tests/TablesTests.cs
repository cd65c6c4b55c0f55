namespace Pkg2d.Fuse.Tests;

public sealed class TablesTests
{
    [Fact]
    public void NodeIdsStayStableWhileLookedUpAndAreNeverReused()
    {
        var nodes = new NodeTable();
        var a = nodes.Remember("/a");
        Assert.Equal(a, nodes.Remember("/a"));
        Assert.NotEqual(NodeTable.RootId, a);
        nodes.Forget(a, 1);
        Assert.Equal("/a", nodes.PathOf(a)); // one lookup left
        nodes.Forget(a, 1);
        Assert.Null(nodes.PathOf(a));
        var again = nodes.Remember("/a");
        Assert.NotEqual(a, again);
        nodes.Forget(NodeTable.RootId, 100);
        Assert.Equal("/", nodes.PathOf(NodeTable.RootId));
        Assert.Equal("/a/b", NodeTable.Child("/a", "b"));
        Assert.Equal("/b", NodeTable.Child("/", "b"));
    }

    [Fact]
    public void MountInfoLinesAreParsedAndUnescaped()
    {
        var entry = MountTable.ParseLine(@"36 35 98:0 / /tmp/with\040space rw,nosuid shared:1 master:2 - fuse.pkg2d pkg2d rw,user_id=0");
        Assert.Equal(new MountTable.Entry("/tmp/with space", "fuse.pkg2d", "pkg2d"), entry);
        Assert.Null(MountTable.ParseLine("garbage"));
        Assert.Contains(MountTable.Read(), m => m.MountPoint == "/");
    }
}
