using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// Images that run a service: entrypoint, command, environment, user, working directory, labels, annotations,
/// ports, volumes and stop signal, from options or an image file, on real packages of Alpine 3.19.1's install
/// repository, run by real podman and a real Docker daemon.
/// </summary>
public sealed class ImageSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    private string[] Repository => ["--repo", Fixtures.IsoMirrorBase, "--arch", "x86_64", "--keys-dir", Fixtures.KeysDir, "--cache", _dir.Combine("cache")];

    private static readonly string[] WebOptions =
    [
        "--entrypoint", "[\"wget\"]", "--cmd", "[\"--version\"]", "--env", "GREETING=hello", "--user", "chrony", "--workdir", "/var/lib/chrony",
        "--label", "org.opencontainers.image.description=wget and chrony", "--annotation", "org.example.team=web",
        "--expose", "8080/tcp", "--expose", "123/udp", "--volume", "/data", "--stop-signal", "SIGINT",
    ];

    public void Dispose() => _dir.Dispose();

    [FuseFact("skopeo", "podman", "dockerd", "docker")]
    public void Options_become_the_config_and_podman_and_docker_run_the_image_as_it_says()
    {
        var layout = _dir.Combine("web");
        var (exit, _, errors) = Pkg2d(["export", .. Repository, "--out", layout, .. WebOptions, "web=wget,chrony"]);
        Assert.True(exit == 0, errors);
        Assert.DoesNotContain("warning", errors);

        var config = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", "--config", "oci:" + layout + ":web")).RootElement.GetProperty("config");
        Assert.Equal("chrony", config.GetProperty("User").GetString());
        Assert.Equal(["wget"], Strings(config.GetProperty("Entrypoint")));
        Assert.Equal(["--version"], Strings(config.GetProperty("Cmd")));
        Assert.Equal(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hello"], Strings(config.GetProperty("Env")));
        Assert.Equal("/var/lib/chrony", config.GetProperty("WorkingDir").GetString());
        Assert.Equal("wget and chrony", config.GetProperty("Labels").GetProperty("org.opencontainers.image.description").GetString());
        Assert.Equal(["123/udp", "8080/tcp"], config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["/data"], config.GetProperty("Volumes").EnumerateObject().Select(p => p.Name));
        Assert.Equal("SIGINT", config.GetProperty("StopSignal").GetString());
        var manifest = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", "--raw", "oci:" + layout + ":web")).RootElement;
        Assert.Equal("web", manifest.GetProperty("annotations").GetProperty("org.example.team").GetString());

        using (var podman = new Podman())
        {
            Assert.Contains("GNU Wget", podman.RunOk("run", "--rm", "--network", "none", "oci:" + layout + ":web"));
            var shell = podman.RunOk("run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "oci:" + layout + ":web",
                "-c", "echo \"$GREETING $(id -un) $(pwd)\"");
            Assert.Equal("hello chrony /var/lib/chrony\n", shell);
        }

        using var docker = new PrivateDocker(_dir.Combine("docker"));
        Tool.RunOk("skopeo", "copy", "--dest-daemon-host", "unix://" + docker.Socket, "oci:" + layout + ":web", "docker-daemon:web:latest");
        Assert.Contains("GNU Wget", docker.RunOk("run", "--rm", "--network=none", "web:latest"));
        Assert.Equal("hello chrony /var/lib/chrony\n",
            docker.RunOk("run", "--rm", "--network=none", "--entrypoint", "/bin/sh", "web:latest", "-c", "echo \"$GREETING $(id -un) $(pwd)\""));
    }

    /// <summary>An image file with two images, one with accounts, paths and a working directory it lacks; the same file gives the same bytes.</summary>
    [ToolFact("podman")]
    public void An_image_file_builds_its_images_with_accounts_paths_and_a_new_working_directory_reproducibly()
    {
        var file = _dir.Combine("images.yaml");
        File.WriteAllText(file, """
            # Two images of the same repository.
            images:
              - name: app
                packages: [busybox]
                user: app
                workdir: /srv/app
                env:
                  MODE: production
                accounts:
                  groups:
                    - name: app
                      gid: 1234
                  users:
                    - name: app
                      uid: 1234
                      group: app
                paths:
                  - path: /srv/data
                    mode: "0750"
                    owner: app:app
              - name: fetch
                packages: [wget]
                entrypoint: wget
                cmd: ["--version"]
            """);
        var (exit, _, errors) = Pkg2d(["export", .. Repository, "--file", file, "--label", "org.example.built-by=pkg2d", "--out", _dir.Combine("one")]);
        Assert.True(exit == 0, errors);
        (exit, _, errors) = Pkg2d(["export", .. Repository, "--file", file, "--label", "org.example.built-by=pkg2d", "--out", _dir.Combine("two")]);
        Assert.True(exit == 0, errors);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("one", "index.json")), File.ReadAllBytes(_dir.Combine("two", "index.json")));

        var app = JsonDocument.Parse(Tool.RunOk("skopeo", "inspect", "--config", "oci:" + _dir.Combine("one") + ":app")).RootElement.GetProperty("config");
        Assert.Equal("pkg2d", app.GetProperty("Labels").GetProperty("org.example.built-by").GetString());
        Assert.Equal(["/bin/sh"], Strings(app.GetProperty("Cmd")));

        using var podman = new Podman();
        var output = podman.RunOk("run", "--rm", "--network", "none", "oci:" + _dir.Combine("one") + ":app", "/bin/sh", "-c",
            "id; pwd; echo $MODE; stat -c '%a %U:%G' /srv/data /srv/app /home/app; grep ^app: /etc/passwd /etc/group");
        Assert.Contains("uid=1234(app) gid=1234(app)", output);
        Assert.Contains("/srv/app\nproduction\n", output);
        Assert.Contains("750 app:app\n755 app:app\n2755 app:app\n", output);
        Assert.Contains("/etc/passwd:app:x:1234:1234:", output);
        Assert.Contains("/etc/group:app:x:1234:", output);
        Assert.Contains("GNU Wget", podman.RunOk("run", "--rm", "--network", "none", "oci:" + _dir.Combine("one") + ":fetch"));
    }

    public static TheoryData<string[], string> Refused => new()
    {
        { ["--user", "chronyx"], "--user 'chronyx': the image has no user 'chronyx'" },
        { ["--user", "chrony:staffx"], "--user 'chrony:staffx': the image has no group 'staffx'" },
        { ["--workdir", "var/lib/chrony"], "--workdir 'var/lib/chrony' is not an absolute path" },
        { ["--expose", "70000"], "--expose '70000': the port must be a number from 1 to 65535" },
        { ["--expose", "80/sctp"], "--expose '80/sctp': the protocol must be tcp or udp" },
        { ["--stop-signal", "SIGNOPE"], "--stop-signal 'SIGNOPE' is not a signal" },
        { ["--env", "GREETING"], "--env 'GREETING' is not KEY=VALUE" },
        { ["--label", "=x"], "--label '=x' is not KEY=VALUE" },
        { ["--entrypoint", "wget -q"], "--entrypoint 'wget -q' is neither a JSON array of strings" },
        { ["--cmd", "[\"a\", 1]"], "--cmd '[\"a\", 1]' is not a JSON array of strings" },
        { ["--volume", "data"], "--volume 'data' is not an absolute path" },
        { ["--annotation", "dev.pkg2d.world=x"], "annotations dev.pkg2d.* are pkg2d's own" },
        { ["--bogus", "x"], "unrecognized option '--bogus'" },
    };

    [FixtureTheory]
    [MemberData(nameof(Refused))]
    public void A_bad_setting_is_one_error_naming_its_option_and_nothing_is_written(string[] options, string message)
    {
        var output = _dir.Combine("refused");
        var (exit, _, errors) = Pkg2d(["export", .. Repository, "--out", output, .. options, "web=wget,chrony"]);
        Assert.Equal(1, exit);
        Assert.Contains(message, errors);
        Assert.DoesNotContain("   at ", errors);
        Assert.False(Directory.Exists(output));
    }

    public static TheoryData<string, string> RefusedByTheImage => new()
    {
        { "accounts: {groups: [{name: app, gid: 0}]}", "image 'web': accounts: group 'app': gid '0' in use" },
        { "accounts: {users: [{name: chrony, uid: 4000}]}", "image 'web': accounts: user 'chrony': user 'chrony' in use" },
        { "accounts: {users: [{name: app, uid: 4000, group: appx}]}", "image 'web': accounts: user 'app': unknown group appx" },
        { "paths: [{path: /etc/passwd}]", "image 'web': /etc/passwd is in the image, but not a directory" },
        { "cmd: [&a x, *a]", "aliases are not supported in an image file" },
        { "paths: [{path: /proc/app}]", "image 'web': path /proc/app belongs to the runtime" },
        { "paths: [{path: /}]", "image 'web': path / is the root itself" },
        { "accounts: {users: [{name: app, uid: 4000, home: /dev/app}]}", "image 'web': user 'app': home /dev/app belongs to the runtime" },
        { "paths: [{path: /srv, owner: appx}]", "image 'web': path /srv: owner 'appx': the image has no user 'appx'" },
    };

    /// <summary>What an image file adds to the root is checked against the root the install scripts left.</summary>
    [FixtureTheory]
    [MemberData(nameof(RefusedByTheImage))]
    public void An_image_file_that_does_not_fit_the_image_is_one_error_and_nothing_is_written(string settings, string message)
    {
        var file = _dir.Combine("images.yaml");
        File.WriteAllText(file, $"images:\n  - name: web\n    packages: [wget, chrony]\n    {settings}\n");
        var output = _dir.Combine("refused");
        var (exit, _, errors) = Pkg2d(["export", .. Repository, "--out", output, "--file", file]);
        Assert.Equal(1, exit);
        Assert.Contains(message, errors);
        Assert.False(Directory.Exists(output));
    }

    [FixtureFact]
    public void An_entrypoint_the_image_lacks_is_a_warning_and_a_bad_image_file_names_its_line_and_field()
    {
        var (exit, _, errors) = Pkg2d(["export", .. Repository, "--out", _dir.Combine("warned"), "--entrypoint", "curl", "web=wget"]);
        Assert.True(exit == 0, errors);
        Assert.Contains("warning: image 'web': the entrypoint 'curl' is not found in the image's PATH", errors);

        var file = _dir.Combine("bad.yaml");
        File.WriteAllText(file, "images:\n  - name: web\n    packages: [wget]\n    expose: [8080, 99999]\n");
        (exit, _, errors) = Pkg2d(["export", .. Repository, "--out", _dir.Combine("bad"), "--file", file]);
        Assert.Equal(1, exit);
        Assert.Contains($"{file}:4:", errors);
        Assert.Contains("images[0].expose[1] '99999': the port must be a number from 1 to 65535", errors);
        Assert.False(Directory.Exists(_dir.Combine("bad")));
    }

    /// <summary>A lock records each image's settings; building from it with other settings is refused, as another world is.</summary>
    [FixtureFact]
    public void A_lock_records_the_settings_and_refuses_others()
    {
        var lockFile = _dir.Combine("web.lock");
        var (exit, _, errors) = Pkg2d(["lock", .. Repository, "--output", lockFile, .. WebOptions, "web=wget,chrony"]);
        Assert.True(exit == 0, errors);
        var settings = JsonDocument.Parse(File.ReadAllBytes(lockFile)).RootElement.GetProperty("images")[0].GetProperty("settings");
        Assert.Equal("chrony", settings.GetProperty("user").GetString());
        Assert.Equal(["123/udp", "8080/tcp"], Strings(settings.GetProperty("expose")));

        (exit, _, errors) = Pkg2d(["export", .. Repository, "--lock", lockFile, "--out", _dir.Combine("locked"), .. WebOptions, "web=wget,chrony"]);
        Assert.True(exit == 0, errors);
        // Ports, labels and annotations in another order make the same image, so the same lock serves.
        string[] reordered = [.. WebOptions.Select(o => o == "8080/tcp" ? "123/udp" : o == "123/udp" ? "8080" : o)];
        (exit, _, errors) = Pkg2d(["export", .. Repository, "--lock", lockFile, "--out", _dir.Combine("reordered"), .. reordered, "web=wget,chrony"]);
        Assert.True(exit == 0, errors);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("locked", "index.json")), File.ReadAllBytes(_dir.Combine("reordered", "index.json")));
        (exit, _, errors) = Pkg2d(["export", .. Repository, "--lock", lockFile, "--out", _dir.Combine("other"), "web=wget,chrony"]);
        Assert.Equal(1, exit);
        Assert.Contains("image 'web' (x86_64) asks for settings none, but the lock was made with {", errors);
    }

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
