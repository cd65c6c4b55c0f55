using System.Text;
using Pkg2d.Oci;

namespace Pkg2d.Image.Definition;

/// <summary>What an image file defines.</summary>
/// <param name="BaseWorld">The file's base world, which its images without their own take; null: the command's.</param>
/// <param name="Arches">The file's arches, which its images without their own take; null: the command's.</param>
public sealed record ImageFileContent(IReadOnlyList<string>? BaseWorld, IReadOnlyList<string>? Arches, IReadOnlyList<ImageSpec> Images);

/// <summary>
/// Reads an image file (YAML, or JSON as YAML includes it) that defines several images with their settings, and
/// image entries that other sources (the daemon's configuration) give as <see cref="SettingNode"/>s. Keys match
/// ignoring case, '-' and '_' (`stop-signal`, `StopSignal`). Every error is a <see cref="FormatException"/> that
/// starts with the node's location and its path in the document (`images.yaml:7:11: images[0].user`).
/// </summary>
public static class ImageFile
{
    private static readonly string[] FileKeys = ["base", "arches", "images"];
    private static readonly string[] ImageKeys = ["name", "packages", "arches", "base"];

    private static readonly string[] SettingKeys =
    [
        "entrypoint", "cmd", "env", "user", "workdir", "labels", "annotations", "expose", "volumes", "stop-signal", "paths",
        "accounts",
    ];

    private static readonly string[] PathKeys = ["path", "mode", "owner"];
    private static readonly string[] AccountKeys = ["groups", "users"];
    private static readonly string[] GroupKeys = ["name", "gid"];
    private static readonly string[] UserKeys = ["name", "uid", "group", "home", "shell"];

    private const int DefaultMode = 0b111_101_101;

    /// <summary>Far more than any image file needs; a larger one (or a device such as /dev/zero) is refused unread.</summary>
    public const int MaxFileBytes = 1 << 20;

    public static ImageFileContent Read(string path)
    {
        string text;
        try
        {
            using var file = File.OpenRead(path);
            var buffer = new byte[MaxFileBytes + 1];
            var length = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (length > MaxFileBytes)
                throw new FormatException($"{path}: an image file may hold at most {MaxFileBytes / 1024} KiB");
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"{path}: not UTF-8 text");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <param name="fileName">Where the text comes from, as the locations name it.</param>
    public static ImageFileContent Parse(string text, string fileName)
    {
        // A file without a document reads as an empty mapping, so it fails for its missing `images`.
        var root = new Field("", YamlNodes.Parse(text, fileName) ?? new ScalarNode("", $"{fileName}:1:1"));
        var fields = new Fields(root, FileKeys);
        var baseWorld = fields.Get("base") is { } given ? Words(given, "package") : null;
        var arches = fields.Get("arches") is { } archesField ? Arches(archesField) : null;
        var images = fields.Required("images");
        var entries = Items(images);
        if (entries.Count == 0)
            throw Error(images, "lists no image");
        var read = entries.Select(entry => Image(entry)).ToList();
        Unique(read.Select((image, i) => (image.Spec.Name, image.Name, entries[i].Path)));
        // The file's base and arches are its images' own unless an image gives them.
        return new ImageFileContent(baseWorld, arches, [.. read.Select(image => image.Spec with
        {
            BaseWorld = image.Spec.BaseWorld ?? baseWorld,
            Arches = image.Spec.Arches ?? arches,
        })]);
    }

    /// <summary>One image entry: a mapping with `name`, `packages`, optional `arches` and the settings.</summary>
    /// <param name="field">The entry's path for errors (`images[0]`).</param>
    public static ImageSpec ReadImage(SettingNode node, string field) => Image(new Field(field, node)).Spec;

    /// <summary>
    /// The settings of a mapping (`entrypoint`, `cmd`, `env`, `user`, `workdir`, `labels`, `annotations`, `expose`,
    /// `volumes`, `stop-signal`, `paths`, `accounts`); a setting not given is unset. Keys in
    /// <paramref name="otherKeys"/> are the caller's to read and pass unchecked; any other key is an error.
    /// </summary>
    public static ImageSettings ReadSettings(MapNode map, string field, params IReadOnlyCollection<string> otherKeys)
    {
        var fields = new Fields(new Field(field, map), [.. otherKeys, .. SettingKeys]);
        var (groups, users) = fields.Get("accounts") is { } accounts ? Accounts(accounts) : (null, null);
        return new ImageSettings
        {
            Entrypoint = fields.Get("entrypoint") is { } entrypoint ? Command(entrypoint) : null,
            Cmd = fields.Get("cmd") is { } cmd ? Command(cmd) : null,
            Env = fields.Get("env") is { } env ? Pairs(env) : [],
            User = fields.Get("user") is { } user ? Check(user, SettingSyntax.User) : null,
            WorkingDir = fields.Get("workdir") is { } workdir ? Check(workdir, SettingSyntax.AbsolutePath) : null,
            Labels = fields.Get("labels") is { } labels ? Pairs(labels) : [],
            Annotations = fields.Get("annotations") is { } annotations ? Pairs(annotations) : [],
            ExposedPorts = fields.Get("expose") is { } expose ? [.. ScalarItems(expose).Select(item => Check(item, SettingSyntax.Port))] : null,
            Volumes = fields.Get("volumes") is { } volumes ? [.. ScalarItems(volumes).Select(item => Check(item, SettingSyntax.AbsolutePath))] : null,
            StopSignal = fields.Get("stop-signal") is { } signal ? Check(signal, SettingSyntax.Signal) : null,
            Paths = fields.Get("paths") is { } paths ? [.. Items(paths).Select(PathOf)] : null,
            Groups = groups,
            Users = users,
        };
    }

    private static (ImageSpec Spec, Field Name) Image(Field entry)
    {
        var fields = new Fields(entry, [.. ImageKeys, .. SettingKeys]);
        var name = fields.Required("name");
        var nameText = Text(name);
        if (!Layout.IsValidRefName(nameText))
            throw Invalid(name, nameText, "is not an image name (letters and digits joined by '.', '_', '-', ':', '@', '+' or '/')");
        var packages = fields.Required("packages");
        var world = Words(packages, "package");
        if (world.Count == 0)
            throw Error(packages, "lists no package");
        var arches = fields.Get("arches") is { } archesField ? Arches(archesField) : null;
        var baseWorld = fields.Get("base") is { } given ? Words(given, "package") : null;
        // Fields accepted a mapping (or an empty scalar, which has no name): the entry is a mapping here.
        var settings = ReadSettings((MapNode)entry.Node, entry.Path, ImageKeys);
        return (new ImageSpec(nameText, world) { Settings = settings, Arches = arches, BaseWorld = baseWorld }, name);
    }

    private static IReadOnlyList<string> Arches(Field field)
    {
        var arches = Words(field, "arch");
        return arches.Count > 0 ? arches : throw Error(field, "lists no arch");
    }

    /// <summary>Package or arch names: a list of them, one alone, or "" for none.</summary>
    private static IReadOnlyList<string> Words(Field field, string what) =>
    [
        .. ScalarItems(field).Select(item => Text(item) is var text && text.Length > 0 && !text.Any(char.IsWhiteSpace)
            ? text
            : throw Invalid(item, text, $"is not a {what} name")),
    ];

    /// <summary>A list of arguments, or a string as <see cref="SettingSyntax.Command"/> takes it; "" for none.</summary>
    private static IReadOnlyList<string> Command(Field field) => field.Node switch
    {
        ListNode => [.. Items(field).Select(Text)],
        ScalarNode { Value: "" } => [],
        ScalarNode => Check(field, SettingSyntax.Command),
        _ => throw WrongKind(field, "a list or a string"),
    };

    /// <summary>A mapping, or a list of `KEY=VALUE` strings; values are kept as written.</summary>
    private static IReadOnlyList<KeyValuePair<string, string>> Pairs(Field field)
    {
        var pairs = field.Node is MapNode map
            ? map.Entries.Select(entry =>
            {
                var value = Text(new Field(Join(field.Path, entry.Key), entry.Value));
                return Check(new Field(field.Path, entry.Value), (_, prefix) => SettingSyntax.Pair(entry.Key, value, prefix));
            })
            : ScalarItems(field).Select(item => Check(item, SettingSyntax.Pair));
        return ImageSettings.Merge([], pairs);
    }

    private static PathSetting PathOf(Field entry)
    {
        var fields = new Fields(entry, PathKeys);
        return new PathSetting(
            Check(fields.Required("path"), SettingSyntax.AbsolutePath),
            fields.Get("mode") is { } mode ? Check(mode, SettingSyntax.Mode) : DefaultMode,
            fields.Get("owner") is { } owner ? Check(owner, SettingSyntax.User) : null);
    }

    private static (IReadOnlyList<GroupSetting>? Groups, IReadOnlyList<UserSetting>? Users) Accounts(Field accounts)
    {
        var fields = new Fields(accounts, AccountKeys);
        IReadOnlyList<GroupSetting>? groups = null;
        if (fields.Get("groups") is { } groupList)
        {
            var entries = Items(groupList).Select(entry => new Fields(entry, GroupKeys)).ToList();
            IReadOnlyList<GroupSetting> read = [.. entries.Select(group => new GroupSetting(
                Check(group.Required("name"), SettingSyntax.AccountName), Check(group.Required("gid"), SettingSyntax.Id)))];
            Unique(entries.Select((group, i) => (read[i].Name, group.Required("name"), group.Path)));
            groups = read;
        }
        IReadOnlyList<UserSetting>? users = null;
        if (fields.Get("users") is { } userList)
        {
            var entries = Items(userList).Select(entry => new Fields(entry, UserKeys)).ToList();
            IReadOnlyList<UserSetting> read = [.. entries.Select(user => new UserSetting(
                Check(user.Required("name"), SettingSyntax.AccountName),
                Check(user.Required("uid"), SettingSyntax.Id),
                user.Get("group") is { } group ? Check(group, SettingSyntax.AccountName) : null,
                user.Get("home") is { } home ? Check(home, SettingSyntax.AbsolutePath) : null,
                user.Get("shell") is { } shell ? Check(shell, SettingSyntax.AbsolutePath) : null))];
            Unique(entries.Select((user, i) => (read[i].Name, user.Required("name"), user.Path)));
            users = read;
        }
        return (groups, users);
    }

    /// <summary>Fails on a name given twice, naming both places.</summary>
    private static void Unique(IEnumerable<(string Value, Field Name, string Owner)> names)
    {
        var seen = new Dictionary<string, (Field Name, string Owner)>(StringComparer.Ordinal);
        foreach (var (value, name, owner) in names)
            if (!seen.TryAdd(value, (name, owner)))
                throw Invalid(name, value, $"is already the name of {seen[value].Owner} ({seen[value].Name.Node.Location})");
    }

    /// <summary>The value through one of <see cref="SettingSyntax"/>'s checks, its error located.</summary>
    private static T Check<T>(Field field, Func<string, string, T> syntax)
    {
        var text = Text(field);
        try
        {
            return syntax(text, $"{field.Node.Location}: {field.Path}");
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static string Text(Field field) => field.Node is ScalarNode scalar ? scalar.Value : throw WrongKind(field, "a scalar");

    /// <summary>The items of a list; "" (YAML's null too) for none.</summary>
    private static IReadOnlyList<Field> Items(Field field) => field.Node switch
    {
        ListNode list => [.. list.Items.Select((item, i) => new Field($"{field.Path}[{i}]", item))],
        ScalarNode { Value: "" } => [],
        _ => throw WrongKind(field, "a list"),
    };

    /// <summary>Like <see cref="Items"/>, and a scalar other than "" stands for a list of itself.</summary>
    private static IReadOnlyList<Field> ScalarItems(Field field) => field.Node is ScalarNode { Value: not "" } ? [field] : Items(field);

    private static FormatException Error(Field field, string message) =>
        new(field.Path.Length == 0 ? $"{field.Node.Location}: {message}" : $"{field.Node.Location}: {field.Path}: {message}");

    /// <summary>An error worded like <see cref="SettingSyntax"/>'s.</summary>
    private static FormatException Invalid(Field field, string text, string problem) => new($"{field.Node.Location}: {field.Path} '{text}' {problem}");

    private static FormatException WrongKind(Field field, string wanted) =>
        Error(field, $"expected {wanted}, found {field.Node switch { ListNode => "a list", MapNode => "a mapping", _ => "a scalar" }}");

    /// <summary>`images[0].name` from `images[0]` and `name`.</summary>
    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>A node and its path in the document (`images[0].env`), as errors name it.</summary>
    private readonly record struct Field(string Path, SettingNode Node);

    /// <summary>The entries of a mapping by their known key, each key spelled in any of the accepted ways.</summary>
    private sealed class Fields
    {
        private readonly Field _map;
        private readonly Dictionary<string, Field> _given = new(StringComparer.Ordinal);

        /// <param name="known">The keys in their canonical spelling, as unknown-key errors list them.</param>
        public Fields(Field map, IReadOnlyCollection<string> known)
        {
            _map = map;
            IReadOnlyList<KeyValuePair<string, SettingNode>> entries = map.Node switch
            {
                MapNode mapNode => mapNode.Entries,
                ScalarNode { Value: "" } => [],
                _ => throw WrongKind(map, "a mapping"),
            };
            foreach (var (key, value) in entries)
            {
                var field = new Field(Join(map.Path, key), value);
                var canonical = known.FirstOrDefault(k => Normalize(k) == Normalize(key))
                    ?? throw Error(field, $"unknown key (known: {string.Join(", ", known)})");
                if (!_given.TryAdd(canonical, field))
                    throw Error(field, $"the same key as {_given[canonical].Path}");
            }
        }

        public string Path => _map.Path;

        public Field? Get(string key) => _given.TryGetValue(key, out var field) ? field : null;

        public Field Required(string key) => Get(key) ?? throw Error(_map with { Path = Join(_map.Path, key) }, "required but not given");

        private static string Normalize(string key) => new([.. key.Where(c => c is not ('-' or '_')).Select(char.ToLowerInvariant)]);
    }
}
