using System.Text.RegularExpressions;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// A real `pkg2d serve --listen 127.0.0.1:0` process without a mount; its address is read from its log. Stopped
/// with SIGTERM.
/// </summary>
internal sealed partial class RegistryDaemon : Pkg2dDaemonProcess
{
    private readonly TaskCompletionSource<string> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RegistryDaemon(string cache, params string[] options)
        : base(Pkg2dProcess.StartInfo(["serve", "--listen", "127.0.0.1:0", "--cache", cache, .. options]))
    {
        WaitFor(_address.Task, "listen");
        // Images are resolved before the host starts, so listening means serving.
        Host = _address.Task.Result;
    }

    /// <summary>HOST:PORT, as image references name the registry.</summary>
    public string Host { get; }

    protected override void OnLine(string line)
    {
        if (Listening().Match(line) is { Success: true } match)
            _address.TrySetResult(match.Groups[1].Value);
    }

    [GeneratedRegex(@"Serving the OCI distribution API at https?://(127\.0\.0\.1:\d+)/")]
    private static partial Regex Listening();
}
