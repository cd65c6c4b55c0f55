using System.Text.Json;
using Pkg2d.Image.Definition;

namespace Pkg2d.Image.Catalog;

/// <summary>
/// The JSON form of <see cref="ImageSettings"/> in lock files and the catalog: only the fields that are set, in one
/// fixed order, so equal settings are equal text (<see cref="Text"/>).
/// </summary>
internal static class ImageSettingsJson
{
    public static void Write(Utf8JsonWriter writer, string name, ImageSettings settings)
    {
        writer.WriteStartObject(name);
        Strings(writer, "entrypoint", settings.Entrypoint);
        Strings(writer, "cmd", settings.Cmd);
        Pairs(writer, "env", settings.Env);
        Optional(writer, "user", settings.User);
        Optional(writer, "workdir", settings.WorkingDir);
        Pairs(writer, "labels", [.. settings.Labels.OrderBy(l => l.Key, StringComparer.Ordinal)]);
        Pairs(writer, "annotations", [.. settings.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal)]);
        Strings(writer, "expose", Set(settings.ExposedPorts));
        Strings(writer, "volumes", Set(settings.Volumes));
        Optional(writer, "stopSignal", settings.StopSignal);
        List(writer, "paths", settings.Paths, path =>
        {
            writer.WriteString("path", path.Path);
            writer.WriteString("mode", Convert.ToString(path.Mode, 8).PadLeft(4, '0'));
            Optional(writer, "owner", path.Owner);
        });
        List(writer, "groups", settings.Groups, group =>
        {
            writer.WriteString("name", group.Name);
            writer.WriteNumber("gid", group.Gid);
        });
        List(writer, "users", settings.Users, user =>
        {
            writer.WriteString("name", user.Name);
            writer.WriteNumber("uid", user.Uid);
            Optional(writer, "group", user.Group);
            Optional(writer, "home", user.Home);
            Optional(writer, "shell", user.Shell);
        });
        writer.WriteEndObject();
    }

    /// <summary>True when no field is set.</summary>
    public static bool IsNone(ImageSettings settings) => Text(settings) == NoneText;

    private static readonly string NoneText = Text(ImageSettings.None);

    /// <summary>The settings as canonical text: equal settings, equal text.</summary>
    public static string Text(ImageSettings settings)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            Write(writer, "settings", settings);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static ImageSettings Read(JsonElement element, string source)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{source}: 'settings' is not an object");
        var field = source + ": settings";
        string? Checked(string? value, Func<string, string, string> check, string name) => value is null ? null : check(value, $"{field} {name}");
        try
        {
            return new ImageSettings
            {
                Entrypoint = Strings(element, "entrypoint", source),
                Cmd = Strings(element, "cmd", source),
                Env = [.. Pairs(element, "env", source).Select(e => SettingSyntax.Pair(e.Key, e.Value, field + " env"))],
                User = Checked(Optional(element, "user", source), SettingSyntax.User, "user"),
                WorkingDir = Checked(Optional(element, "workdir", source), SettingSyntax.AbsolutePath, "workdir"),
                Labels = [.. Pairs(element, "labels", source).Select(l => SettingSyntax.Pair(l.Key, l.Value, field + " labels"))],
                Annotations = [.. Pairs(element, "annotations", source).Select(a => SettingSyntax.Pair(a.Key, a.Value, field + " annotations"))],
                ExposedPorts = Strings(element, "expose", source)?.Select(p => SettingSyntax.Port(p, field + " expose")).ToList(),
                Volumes = Strings(element, "volumes", source)?.Select(v => SettingSyntax.AbsolutePath(v, field + " volumes")).ToList(),
                StopSignal = Checked(Optional(element, "stopSignal", source), SettingSyntax.Signal, "stopSignal"),
                Paths = List(element, "paths", source, p => new PathSetting(
                    SettingSyntax.AbsolutePath(Required(p, "path", source), field + " path"),
                    SettingSyntax.Mode(Required(p, "mode", source), field + " mode"),
                    Checked(Optional(p, "owner", source), SettingSyntax.User, "owner"))),
                Groups = List(element, "groups", source, g => new GroupSetting(
                    SettingSyntax.AccountName(Required(g, "name", source), field + " group"), Number(g, "gid", source))),
                Users = List(element, "users", source, u => new UserSetting(
                    SettingSyntax.AccountName(Required(u, "name", source), field + " user"), Number(u, "uid", source),
                    Checked(Optional(u, "group", source), SettingSyntax.AccountName, "group"),
                    Checked(Optional(u, "home", source), SettingSyntax.AbsolutePath, "home"),
                    Checked(Optional(u, "shell", source), SettingSyntax.AbsolutePath, "shell"))),
            };
        }
        catch (ArgumentException e)
        {
            throw new FormatException(e.Message, e);
        }
    }

    private static List<string>? Set(IReadOnlyList<string>? values) => values?.Distinct().Order(StringComparer.Ordinal).ToList();

    private static void Strings(Utf8JsonWriter writer, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
            return;
        writer.WriteStartArray(name);
        foreach (var value in values)
            writer.WriteStringValue(value);
        writer.WriteEndArray();
    }

    private static void Pairs(Utf8JsonWriter writer, string name, IReadOnlyList<KeyValuePair<string, string>> pairs)
    {
        if (pairs.Count == 0)
            return;
        writer.WriteStartObject(name);
        foreach (var (key, value) in pairs)
            writer.WriteString(key, value);
        writer.WriteEndObject();
    }

    private static void Optional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
            writer.WriteString(name, value);
    }

    private static void List<T>(Utf8JsonWriter writer, string name, IReadOnlyList<T>? items, Action<T> write)
    {
        if (items is null)
            return;
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStartObject();
            write(item);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static List<string>? Strings(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String)
                ? [.. value.EnumerateArray().Select(e => e.GetString()!)]
                : throw new FormatException($"{source}: settings '{name}' is not a list of strings")
            : null;

    private static List<KeyValuePair<string, string>> Pairs(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.Object && value.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String)
                ? [.. value.EnumerateObject().Select(p => new KeyValuePair<string, string>(p.Name, p.Value.GetString()!))]
                : throw new FormatException($"{source}: settings '{name}' is not an object of strings")
            : [];

    private static string? Optional(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new FormatException($"{source}: settings '{name}' is not a string")
            : null;

    private static string Required(JsonElement element, string name, string source) =>
        Optional(element, name, source) ?? throw new FormatException($"{source}: settings: '{name}' is missing");

    private static int Number(JsonElement element, string name, string source) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= 0
            ? number
            : throw new FormatException($"{source}: settings: '{name}' is not a number of 0 or more");

    private static List<T>? List<T>(JsonElement element, string name, string source, Func<JsonElement, T> read) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Object)
                ? [.. value.EnumerateArray().Select(read)]
                : throw new FormatException($"{source}: settings '{name}' is not a list of objects")
            : null;
}
