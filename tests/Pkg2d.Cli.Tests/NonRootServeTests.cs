using System.Diagnostics;
using System.Text;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// `pkg2d serve --mount` run by an ordinary user, as on a desktop where /dev/fuse is open to users: a real user made
/// for the test, /dev/fuse opened for its duration and restored, no `user_allow_other` in /etc/fuse.conf.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class NonRootServeTests : IDisposable
{
    private readonly TempDirectory _dir = new("pkg2d-user-");
    private readonly string _user = "pkg2dt" + Guid.NewGuid().ToString("N")[..6];
    private readonly UnixFileMode _fuseMode = File.GetUnixFileMode("/dev/fuse");
    private readonly string _home;
    private readonly string _uid;
    private readonly string _gid;

    public NonRootServeTests()
    {
        Tool.RunOk("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", _user);
        _uid = Tool.RunOk("id", "-u", _user).Trim();
        _gid = Tool.RunOk("id", "-g", _user).Trim();
        _home = _dir.Combine("home");
        Directory.CreateDirectory(_home);
        File.SetUnixFileMode(_dir.Path, (UnixFileMode)0b111_101_101);
        Tool.RunOk("chown", $"{_uid}:{_gid}", _home);
        File.SetUnixFileMode("/dev/fuse", (UnixFileMode)0b110_110_110);
    }

    private string Mount => Path.Combine(_home, "mnt");

    /// <summary>The command as the test's user, with its own HOME and no XDG_CACHE_HOME.</summary>
    private ProcessStartInfo AsUser(params string[] command)
    {
        var start = new ProcessStartInfo("setpriv", ["--reuid", _uid, "--regid", _gid, "--clear-groups", "--", .. command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _home,
        };
        start.Environment["HOME"] = _home;
        start.Environment.Remove("XDG_CACHE_HOME");
        start.Environment.Remove("NOTIFY_SOCKET");
        return start;
    }

    private static string[] Pkg2dCommand(params string[] arguments) =>
        Pkg2dProcess.Binary is { } binary ? [binary, .. arguments] : ["dotnet", Pkg2dProcess.Dll, .. arguments];

    private string[] Serve(params string[] extra) => Pkg2dCommand(["serve", "--mount", Mount, "--repo", Fixtures.IsoMirrorBase, "--arch", "x86_64",
        "--keys-dir", Fixtures.KeysDir, "--image", "web=wget", .. extra]);

    [FuseFact("setpriv", "useradd", "userdel", "fusermount3")]
    public void An_ordinary_user_mounts_with_its_own_cache_and_for_itself_only_and_SIGTERM_unmounts()
    {
        var log = new StringBuilder();
        using var daemon = Process.Start(AsUser(Serve()))!;
        daemon.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        daemon.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        try
        {
            string? index = null;
            for (var i = 0; i < 600 && index is null && !daemon.HasExited; i++)
            {
                var (exit, output, _) = Run(AsUser("cat", Path.Combine(Mount, "index.json")));
                if (exit == 0)
                    index = output;
                else
                    Thread.Sleep(100);
            }
            Assert.True(index is not null, $"the user's mount did not serve index.json:\n{log}");
            Assert.Contains("\"org.opencontainers.image.ref.name\":\"web\"", index);

            // The user's cache, not the system's; a mount for the user alone (root is refused without allow_other).
            Assert.True(Directory.Exists(Path.Combine(_home, ".cache", "pkg2d", "blobs")), log.ToString());
            var line = File.ReadAllLines("/proc/self/mounts").Single(l => l.Split(' ')[1] == Mount);
            Assert.Contains($"user_id={_uid}", line);
            Assert.DoesNotContain("allow_other", line);
            Assert.Throws<UnauthorizedAccessException>(() => File.ReadAllBytes(Path.Combine(Mount, "index.json")));

            Tool.RunOk("kill", "-TERM", daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(daemon.WaitForExit(30_000), log.ToString());
            Assert.Equal(0, daemon.ExitCode);
            Assert.DoesNotContain(File.ReadAllLines("/proc/self/mounts"), l => l.Split(' ')[1] == Mount);
        }
        finally
        {
            if (!daemon.HasExited)
                daemon.Kill();
            Tool.Run("umount", ["-l", Mount]);
        }
    }

    [FuseFact("setpriv", "useradd", "userdel", "fusermount3")]
    public void Asked_for_allow_other_without_user_allow_other_it_says_how_in_one_line()
    {
        if (File.ReadAllLines("/etc/fuse.conf").Any(l => l.Trim() == "user_allow_other"))
            return; // this machine allows it: nothing to refuse
        var (exit, output, errors) = Run(AsUser(Serve("--allow-other", "true")));
        Assert.NotEqual(0, exit);
        var error = Assert.Single(errors.Split('\n'), l => l.StartsWith("pkg2d: error:", StringComparison.Ordinal));
        Assert.Contains("add the line user_allow_other to /etc/fuse.conf", error);
        Assert.Contains("--allow-other false", error);
        Assert.DoesNotContain("   at ", output + errors);
    }

    private static (int ExitCode, string Output, string Errors) Run(ProcessStartInfo start)
    {
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not finish");
        }
        return (process.ExitCode, output, errors.Result);
    }

    public void Dispose()
    {
        File.SetUnixFileMode("/dev/fuse", _fuseMode);
        Tool.Run("userdel", [_user]);
        _dir.Dispose();
    }
}
