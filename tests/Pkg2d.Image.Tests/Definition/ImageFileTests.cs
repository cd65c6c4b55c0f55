using Pkg2d.Image.Definition;

namespace Pkg2d.Image.Tests.Definition;

public class ImageFileTests
{
    /// <summary>A file with every key; also the seed the image-file fuzz test damages.</summary>
    internal const string Full = """
        # Two images and what they share.
        base: [alpine-baselayout, busybox]
        arches: [x86_64, aarch64]
        images:
          - name: web
            packages: [wget, chrony]
            arches: [x86_64]
            entrypoint: [wget]
            cmd: ["--version"]
            env: {GREETING: hello, COUNT: 3, DEBUG: false, RATIO: 1.50, EMPTY: }
            user: chrony
            workdir: /var/lib//chrony/
            labels: {org.opencontainers.image.source: https://x}
            annotations: {k: v}
            expose: [8080/tcp, 53/udp, 80]
            volumes: [/data]
            stop-signal: int
            paths:
              - path: /data
                mode: 0750
                owner: chrony:chrony
              - path: /run/app
            accounts:
              groups: [{name: app, gid: 1000}]
              users:
                - {name: app, uid: 1000, group: app, home: /home/app, shell: /bin/sh}
                - {name: svc, uid: 1001}
          - name: tools
            packages: curl
            cmd: '["curl", "-s"]'
            env: [A=1, B=x=y, C=]
            labels: [l=1]
            expose: 443
        """;

    private static readonly ImageSpec Web = new("web", ["wget", "chrony"])
    {
        Arches = ["x86_64"],
        BaseWorld = ["alpine-baselayout", "busybox"],
        Settings = new ImageSettings
        {
            Entrypoint = ["wget"],
            Cmd = ["--version"],
            Env = [new("GREETING", "hello"), new("COUNT", "3"), new("DEBUG", "false"), new("RATIO", "1.50"), new("EMPTY", "")],
            User = "chrony",
            WorkingDir = "/var/lib/chrony",
            Labels = [new("org.opencontainers.image.source", "https://x")],
            Annotations = [new("k", "v")],
            ExposedPorts = ["8080/tcp", "53/udp", "80/tcp"],
            Volumes = ["/data"],
            StopSignal = "SIGINT",
            Paths = [new("/data", 0b111_101_000, "chrony:chrony"), new("/run/app", 0b111_101_101, null)],
            Groups = [new("app", 1000)],
            Users = [new("app", 1000, "app", "/home/app", "/bin/sh"), new("svc", 1001, null, null, null)],
        },
    };

    // The file's arches and base are the images' own unless they give them.
    private static readonly ImageSpec Tools = new("tools", ["curl"])
    {
        Arches = ["x86_64", "aarch64"],
        BaseWorld = ["alpine-baselayout", "busybox"],
        Settings = new ImageSettings
        {
            Cmd = ["curl", "-s"],
            Env = [new("A", "1"), new("B", "x=y"), new("C", "")],
            Labels = [new("l", "1")],
            ExposedPorts = ["443/tcp"],
        },
    };

    private static ImageFileContent Parse(string text) => ImageFile.Parse(text, "images.yaml");

    private static string Error(string text) => Assert.Throws<FormatException>(() => Parse(text)).Message;

    /// <summary>Every value of a spec, so that lists compare by content and a failure shows the difference.</summary>
    private static string Show(ImageSpec spec)
    {
        var s = spec.Settings;
        return string.Join('\n',
            $"name {spec.Name}", $"world {Show(spec.World)}", $"arches {Show(spec.Arches)}", $"base {Show(spec.BaseWorld)}", $"entrypoint {Show(s.Entrypoint)}",
            $"cmd {Show(s.Cmd)}", $"env {Show(s.Env)}", $"user {s.User ?? "null"}", $"workdir {s.WorkingDir ?? "null"}",
            $"labels {Show(s.Labels)}", $"annotations {Show(s.Annotations)}", $"expose {Show(s.ExposedPorts)}",
            $"volumes {Show(s.Volumes)}", $"stop-signal {s.StopSignal ?? "null"}", $"paths {Show(s.Paths)}",
            $"groups {Show(s.Groups)}", $"users {Show(s.Users)}");
    }

    private static string Show<T>(IEnumerable<T>? items) => items is null ? "null" : $"[{string.Join(", ", items)}]";

    private static string Show(ImageFileContent content) =>
        $"base {Show(content.BaseWorld)}\narches {Show(content.Arches)}\n{string.Join("\n--\n", content.Images.Select(Show))}";

    private static string Show(params ImageSpec[] images) => string.Join("\n--\n", images.Select(Show));

    private static ImageSpec Single(string image) => Assert.Single(Parse($"images:\n  - {image.Replace("\n", "\n    ")}\n").Images);

    [Fact]
    public void Reads_every_setting_of_each_image()
    {
        var content = Parse(Full);
        Assert.Equal(["alpine-baselayout", "busybox"], content.BaseWorld);
        Assert.Equal(["x86_64", "aarch64"], content.Arches);
        Assert.Equal(Show(Web, Tools), Show(content.Images.ToArray()));
    }

    [Fact]
    public void Reads_a_file_from_disk()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pkg2d-images-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, Full);
        try
        {
            Assert.Equal(Show(Parse(Full)), Show(ImageFile.Read(path)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_file_is_a_format_error_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pkg2d-missing-{Guid.NewGuid():N}.yaml");
        var error = Assert.Throws<FormatException>(() => ImageFile.Read(path));
        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Contains(path, error.Message[(path.Length + 2)..]);
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public void Reads_JSON_as_the_same()
    {
        const string json = """
            {
              "base": ["alpine-baselayout", "busybox"],
              "arches": ["x86_64", "aarch64"],
              "images": [
                {
                  "name": "web", "packages": ["wget", "chrony"], "arches": ["x86_64"],
                  "entrypoint": ["wget"], "cmd": ["--version"],
                  "env": {"GREETING": "hello", "COUNT": 3, "DEBUG": false, "RATIO": 1.50, "EMPTY": null},
                  "user": "chrony", "workdir": "/var/lib//chrony/",
                  "labels": {"org.opencontainers.image.source": "https://x"}, "annotations": {"k": "v"},
                  "expose": ["8080/tcp", "53/udp", 80], "volumes": ["/data"], "stop-signal": "int",
                  "paths": [{"path": "/data", "mode": "0750", "owner": "chrony:chrony"}, {"path": "/run/app"}],
                  "accounts": {
                    "groups": [{"name": "app", "gid": 1000}],
                    "users": [{"name": "app", "uid": 1000, "group": "app", "home": "/home/app", "shell": "/bin/sh"}, {"name": "svc", "uid": 1001}]
                  }
                },
                {"name": "tools", "packages": "curl", "cmd": "[\"curl\", \"-s\"]", "env": ["A=1", "B=x=y", "C="], "labels": ["l=1"], "expose": 443}
              ]
            }
            """;
        Assert.Equal(Show(Parse(Full)), Show(ImageFile.Parse(json, "images.json")));
    }

    [Theory]
    [InlineData("stop-signal")]
    [InlineData("StopSignal")]
    [InlineData("stop_signal")]
    [InlineData("STOPSIGNAL")]
    [InlineData("stopSignal")]
    public void Keys_match_ignoring_case_dashes_and_underscores(string key) =>
        Assert.Equal("SIGINT", Single($"name: web\npackages: [wget]\n{key}: INT").Settings.StopSignal);

    [Fact]
    public void Reads_the_PascalCase_keys_of_the_daemon_configuration()
    {
        var content = Parse("""
            Base: []
            Images:
              - {Name: web, Packages: [wget], WorkDir: /srv, Cmd: [wget], Accounts: {Users: [{Name: app, Uid: 1}]}}
            """);
        Assert.Equal([], content.BaseWorld);
        var image = Assert.Single(content.Images);
        Assert.Equal("/srv", image.Settings.WorkingDir);
        Assert.Equal(["wget"], image.Settings.Cmd);
        Assert.Equal([new UserSetting("app", 1, null, null, null)], image.Settings.Users);
    }

    [Fact]
    public void Absent_settings_are_unset_and_empty_ones_set_to_nothing()
    {
        var absent = Parse("images: [{name: web, packages: [wget]}]");
        Assert.Null(absent.BaseWorld);
        Assert.Null(absent.Arches);
        Assert.Equal(Show(new ImageSpec("web", ["wget"])), Show(absent.Images.ToArray()));

        var empty = Single("name: web\npackages: wget\nentrypoint: ''\ncmd: []\nvolumes: []\nexpose:\npaths: []\naccounts: {groups: []}\nenv: {}");
        Assert.Equal([], empty.Settings.Entrypoint);
        Assert.Equal([], empty.Settings.Cmd);
        Assert.Equal([], empty.Settings.Volumes);
        Assert.Equal([], empty.Settings.ExposedPorts);
        Assert.Equal([], empty.Settings.Paths);
        Assert.Equal([], empty.Settings.Groups);
        Assert.Null(empty.Settings.Users);
        Assert.Empty(empty.Settings.Env);

        Assert.Equal([], Parse("base: ''\nimages: [{name: web, packages: [wget]}]").BaseWorld);
    }

    [Theory]
    [InlineData("cmd: wget", new[] { "wget" })]
    [InlineData("cmd: '[\"a\", \"b c\"]'", new[] { "a", "b c" })]
    [InlineData("cmd: [1, true, '']", new[] { "1", "true", "" })]
    [InlineData("cmd: []", new string[0])]
    public void Commands_are_lists_or_strings(string line, string[] expected) =>
        Assert.Equal(expected, Single($"name: web\npackages: [wget]\n{line}").Settings.Cmd);

    [Theory]
    [InlineData("mode: 0755", 0b111_101_101)]
    [InlineData("mode: 755", 0b111_101_101)]
    [InlineData("mode: '2775'", 0b010_111_111_101)]
    [InlineData("owner: app", 0b111_101_101)]
    public void Modes_are_read_as_written_in_octal(string line, int expected) =>
        Assert.Equal(expected, Assert.Single(Single($"name: web\npackages: [wget]\npaths:\n  - path: /data\n    {line}").Settings.Paths!).Mode);

    [Fact]
    public void Repeated_environment_names_keep_their_first_place_and_last_value() =>
        Assert.Equal([new("A", "3"), new("B", "2")], Single("name: web\npackages: [wget]\nenv: [A=1, B=2, A=3]").Settings.Env);

    /// <summary>An alias would copy its anchor's text again at each use: a small file could expand without bound.</summary>
    [Fact]
    public void Aliases_are_refused()
    {
        Assert.Equal("images.yaml:3:38: images[1].env: the alias *common: aliases are not supported in an image file", Error("""
            images:
              - {name: a, packages: [wget], env: &common {TZ: UTC}}
              - {name: b, packages: [curl], env: *common}
            """));
    }

    [Fact]
    public void ReadImage_reads_nodes_from_another_source_with_their_locations()
    {
        var node = new MapNode(
        [
            new("Name", new ScalarNode("web", "pkg2d:Images:1:Name")),
            new("Packages", new ListNode([new ScalarNode("wget", "pkg2d:Images:1:Packages:0")], "pkg2d:Images:1:Packages")),
            new("User", new ScalarNode("a b", "pkg2d:Images:1:User")),
        ], "pkg2d:Images:1");
        Assert.Equal("pkg2d:Images:1:User: Images[1].User 'a b' is not NAME[:GROUP] or UID[:GID]",
            Assert.Throws<FormatException>(() => ImageFile.ReadImage(node, "Images[1]")).Message);

        var valid = new MapNode([.. node.Entries.Take(2)], "pkg2d:Images:1");
        Assert.Equal(Show(new ImageSpec("web", ["wget"])), Show(ImageFile.ReadImage(valid, "Images[1]")));
    }

    [Fact]
    public void ReadSettings_leaves_the_callers_keys_to_it()
    {
        var map = new MapNode([new("tag", new ScalarNode("x", "d.yaml:1:6")), new("user", new ScalarNode("app", "d.yaml:2:7"))], "d.yaml:1:1");
        Assert.Equal("app", ImageFile.ReadSettings(map, "defaults", "tag").User);
        Assert.Equal("d.yaml:1:6: defaults.tag: unknown key (known: entrypoint, cmd, env, user, workdir, labels, annotations, expose, volumes, stop-signal, paths, accounts)",
            Assert.Throws<FormatException>(() => ImageFile.ReadSettings(map, "defaults")).Message);
    }

    private const string ImageKeys =
        "name, packages, arches, base, entrypoint, cmd, env, user, workdir, labels, annotations, expose, volumes, stop-signal, paths, accounts";

    [Theory]
    // Unknown keys, here and at the top.
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    entrypiont: [wget]",
        "images.yaml:4:17: images[0].entrypiont: unknown key (known: " + ImageKeys + ")")]
    [InlineData("imagez: []", "images.yaml:1:9: imagez: unknown key (known: base, arches, images)")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    paths: [{path: /a, mod: '0700'}]",
        "images.yaml:4:29: images[0].paths[0].mod: unknown key (known: path, mode, owner)")]
    // Nodes of the wrong kind.
    [InlineData("images:\n  - name: web\n    packages: {wget: 1}", "images.yaml:3:15: images[0].packages: expected a list, found a mapping")]
    [InlineData("images:\n  - name: web\n    packages: [[wget]]", "images.yaml:3:16: images[0].packages[0]: expected a scalar, found a list")]
    [InlineData("images: [web]", "images.yaml:1:10: images[0]: expected a mapping, found a scalar")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    env: {A: [1]}", "images.yaml:4:14: images[0].env.A: expected a scalar, found a list")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    cmd: {a: b}", "images.yaml:4:10: images[0].cmd: expected a list or a string, found a mapping")]
    [InlineData("images:\n  - name: [web]\n    packages: [wget]", "images.yaml:2:11: images[0].name: expected a scalar, found a list")]
    [InlineData("- web", "images.yaml:1:1: expected a mapping, found a list")]
    // Values that SettingSyntax refuses.
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    expose: [8080/tcp, 99999]",
        "images.yaml:4:24: images[0].expose[1] '99999': the port must be a number from 1 to 65535")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    stop-signal: SIGFOO",
        "images.yaml:4:18: images[0].stop-signal 'SIGFOO' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    workdir: var/lib", "images.yaml:4:14: images[0].workdir 'var/lib' is not an absolute path")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    user: a b", "images.yaml:4:11: images[0].user 'a b' is not NAME[:GROUP] or UID[:GID]")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    env: [GREETING=hello, GREETING]", "images.yaml:4:27: images[0].env[1] 'GREETING' is not KEY=VALUE")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    labels: {'a b': c}",
        "images.yaml:4:21: images[0].labels 'a b=c': the key must be a word without '=' or white space")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    paths:\n      - path: /data\n        mode: 0999",
        "images.yaml:6:15: images[0].paths[0].mode '0999' is not an octal mode such as 0755")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    volumes: [/data, data]", "images.yaml:4:22: images[0].volumes[1] 'data' is not an absolute path")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    cmd: wget -q",
        "images.yaml:4:10: images[0].cmd 'wget -q' is neither a JSON array of strings (e.g. [\"wget\",\"-q\"]) nor one word")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    accounts:\n      groups: [{name: app, gid: x}]",
        "images.yaml:5:33: images[0].accounts.groups[0].gid 'x' is not a number of 0 or more")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    accounts:\n      users: [{name: app, uid: 1, home: home}]",
        "images.yaml:5:41: images[0].accounts.users[0].home 'home' is not an absolute path")]
    // Names, packages and arches.
    [InlineData("images:\n  - name: 'a b'\n    packages: [wget]",
        "images.yaml:2:11: images[0].name 'a b' is not an image name (letters and digits joined by '.', '_', '-', ':', '@', '+' or '/')")]
    [InlineData("images:\n  - name: web\n    packages: [wget, 'a b']", "images.yaml:3:22: images[0].packages[1] 'a b' is not a package name")]
    [InlineData("images:\n  - name: web\n    packages: []", "images.yaml:3:15: images[0].packages: lists no package")]
    [InlineData("arches: []\nimages: [{name: web, packages: [wget]}]", "images.yaml:1:9: arches: lists no arch")]
    [InlineData("images: []", "images.yaml:1:9: images: lists no image")]
    public void Errors_name_the_location_and_the_field(string text, string message) => Assert.Equal(message, Error(text));

    [Theory]
    [InlineData("images:\n  - packages: [wget]", "images.yaml:2:5: images[0].name: required but not given")]
    [InlineData("images:\n  - name: web", "images.yaml:2:5: images[0].packages: required but not given")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    paths: [{mode: '0700'}]", "images.yaml:4:13: images[0].paths[0].path: required but not given")]
    [InlineData("images:\n  - name: web\n    packages: [wget]\n    accounts: {users: [{name: app}]}",
        "images.yaml:4:24: images[0].accounts.users[0].uid: required but not given")]
    [InlineData("base: [busybox]", "images.yaml:1:1: images: required but not given")]
    [InlineData("", "images.yaml:1:1: images: required but not given")]
    [InlineData("# nothing\n", "images.yaml:1:1: images: required but not given")]
    public void A_missing_required_key_is_named_where_it_belongs(string text, string message) => Assert.Equal(message, Error(text));

    [Fact]
    public void Image_names_are_unique() =>
        Assert.Equal("images.yaml:5:11: images[1].name 'web' is already the name of images[0] (images.yaml:2:11)",
            Error("images:\n  - name: web\n    packages: [wget]\n  - packages: [curl]\n    name: web"));

    [Fact]
    public void Account_names_are_unique() =>
        Assert.Equal("images.yaml:4:53: images[0].accounts.groups[1].name 'app' is already the name of images[0].accounts.groups[0] (images.yaml:4:32)",
            Error("images:\n  - name: web\n    packages: [wget]\n    accounts: {groups: [{name: app, gid: 1}, {name: app, gid: 2}]}"));

    [Fact]
    public void A_key_given_twice_is_an_error() =>
        Assert.Equal("images.yaml:4:5: images[0].name: the key 'name' is given twice (first at images.yaml:2:5)",
            Error("images:\n  - name: web\n    packages: [wget]\n    name: other"));

    [Fact]
    public void A_key_spelled_twice_differently_is_an_error() =>
        Assert.Equal("images.yaml:4:17: images[0].StopSignal: the same key as images[0].stop-signal",
            Error("images:\n  - name: web\n    stop-signal: INT\n    StopSignal: TERM\n    packages: [wget]"));

    [Fact]
    public void A_duplicate_JSON_key_is_an_error() =>
        Assert.Equal("images.json:1:46: images[0].name: the key 'name' is given twice (first at images.json:1:14)",
            Assert.Throws<FormatException>(() => ImageFile.Parse("{\"images\": [{\"name\": \"a\", \"packages\": [\"b\"], \"name\": \"c\"}]}", "images.json")).Message);

    [Theory]
    [InlineData("images:\n  - name: \"web\n", "images.yaml:2:11: While scanning a quoted scalar, found unexpected end of stream.")]
    [InlineData("images:\n  - name: web\n\tpackages: [wget]\n", "images.yaml:2:11: While scanning a plain scalar, found a tab character that violate indentation.")]
    [InlineData("images: {a: [1, 2}\n", "images.yaml:1:18: While parsing a flow sequence, did not find expected ',' or ']'.")]
    [InlineData("images: [\n", "images.yaml:2:1: While parsing a node, did not find expected node content.")]
    public void A_YAML_syntax_error_gives_YamlDotNets_message_at_its_place(string text, string message) => Assert.Equal(message, Error(text));

    [Fact]
    public void An_unclosed_list_that_YamlDotNet_fails_on_oddly_is_still_a_located_error() =>
        Assert.StartsWith("images.yaml:2:1: invalid YAML (", Error("images: [1, 2\nbase: 3\n"));

    [Fact]
    public void Nesting_is_limited() =>
        Assert.EndsWith(": nested deeper than 64 levels", Error("images: " + new string('[', 100) + new string(']', 100)));

    [Fact]
    public void A_second_document_is_an_error() =>
        Assert.Equal("images.yaml:2:1: a second YAML document; the file must hold one", Error("images: []\n---\nimages: []\n"));
}
