using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Pkg2d.Image.Definition;

/// <summary>
/// Reads one YAML document (JSON included) into <see cref="SettingNode"/>s located `FILE:LINE:COLUMN`. Only
/// YamlDotNet's event parser is used: its serializer binds by reflection, which the Native AOT executable cannot do.
/// Aliases are refused: each would copy its anchor's text again, so a small file could expand without bound (an
/// image file has no need of them); merge keys (`<<`) are not expanded. Errors are
/// <see cref="FormatException"/>s that start with the location.
/// </summary>
internal static class YamlNodes
{
    // Far deeper than any image definition; keeps a hostile file from exhausting the stack.
    private const int MaxDepth = 64;

    /// <summary>The document's root, or null when the text holds none (empty, or comments only).</summary>
    public static SettingNode? Parse(string text, string fileName)
    {
        var scanner = new Scanner(new StringReader(text));
        var parser = new Parser(scanner);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                return null;
            parser.Consume<DocumentStart>();
            var root = new Reader(parser, fileName).Node("", 0);
            parser.Consume<DocumentEnd>();
            if (parser.Accept<DocumentStart>(out var next))
                throw new FormatException($"{Locate(fileName, next.Start)}: a second YAML document; the file must hold one");
            return root;
        }
        catch (YamlException e)
        {
            throw new FormatException($"{Locate(fileName, e.Start)}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner throws this instead of a YamlException on some unclosed flow collections.
            throw new FormatException($"{Locate(fileName, scanner.CurrentPosition)}: invalid YAML ({e.Message})", e);
        }
    }

    private static string Locate(string fileName, Mark mark) => $"{fileName}:{mark.Line}:{mark.Column}";

    private static FormatException Error(string location, string path, string message) =>
        new(path.Length == 0 ? $"{location}: {message}" : $"{location}: {path}: {message}");

    /// <summary>`images[0].name` from `images[0]` and `name`.</summary>
    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    // YAML's core schema nulls; a quoted or tagged one is text.
    private static bool IsNull(Scalar scalar) =>
        scalar.Style == ScalarStyle.Plain && scalar.Tag.IsEmpty && scalar.Value is "" or "~" or "null" or "Null" or "NULL";

    private sealed class Reader(IParser parser, string fileName)
    {
        /// <param name="path">Where the node is in the document, for errors (`images[0].env`; "" at the root).</param>
        public SettingNode Node(string path, int depth)
        {
            var current = parser.Current ?? throw new FormatException($"{fileName}: unexpected end of the YAML stream");
            var location = Locate(fileName, current.Start);
            if (depth > MaxDepth)
                throw Error(location, path, $"nested deeper than {MaxDepth} levels");
            if (parser.TryConsume<AnchorAlias>(out var alias))
                throw Error(location, path, $"the alias *{alias.Value.Value}: aliases are not supported in an image file");

            SettingNode node;
            if (parser.TryConsume<Scalar>(out var scalar))
            {
                node = new ScalarNode(IsNull(scalar) ? "" : scalar.Value, location);
            }
            else if (parser.TryConsume<SequenceStart>(out _))
            {
                var items = new List<SettingNode>();
                while (!parser.TryConsume<SequenceEnd>(out _))
                    items.Add(Node($"{path}[{items.Count}]", depth + 1));
                node = new ListNode(items, location);
            }
            else if (parser.TryConsume<MappingStart>(out _))
                node = Map(path, depth, location);
            else
                throw Error(location, path, $"unexpected {current}");
            return node;
        }

        private MapNode Map(string path, int depth, string location)
        {
            var entries = new List<KeyValuePair<string, SettingNode>>();
            var keyLocations = new Dictionary<string, string>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = Node(path, depth + 1);
                if (keyNode is not ScalarNode key)
                    throw Error(keyNode.Location, path, "a mapping key must be a scalar, not a list or mapping");
                if (!keyLocations.TryAdd(key.Value, key.Location))
                    throw Error(key.Location, Join(path, key.Value), $"the key '{key.Value}' is given twice (first at {keyLocations[key.Value]})");
                entries.Add(new(key.Value, Node(Join(path, key.Value), depth + 1)));
            }
            return new MapNode(entries, location);
        }
    }
}
