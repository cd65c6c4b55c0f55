namespace Pkg2d.Fetch.Tests;

public class DownloadProgressTests
{
    [Fact]
    public void Line_CountsFilesAndBytes_AndIsClearedAtTheEnd()
    {
        var output = new StringWriter();
        var progress = new DownloadProgress(output, TimeSpan.Zero);
        progress.Expect(3 << 20);
        progress.Expect(1 << 20);

        progress.Advance(1 << 20);
        var line = output.ToString();
        progress.Finish();

        Assert.Equal("\rfetching packages: 0/2, 1.0/4.0 MiB", line);
        Assert.EndsWith("\r" + new string(' ', line.Length - 1) + "\r", output.ToString());
    }

    [Fact]
    public void ShortBatchesAndNonTerminals_StaySilent()
    {
        var output = new StringWriter();
        var quick = new DownloadProgress(output);
        quick.Expect(100);
        quick.Advance(100);
        quick.Done();
        quick.Finish();

        new DownloadProgress(null, TimeSpan.Zero).Advance(1);

        Assert.Equal("", output.ToString());
    }
}
