using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Pkg2d.Image.Definition;
using Pkg2d.Oci;
using Pkg2d.Serve;

namespace Pkg2d.Serving;

/// <summary>
/// The images the daemon serves at its top level: the `--image` values, which replace the configuration's `Images`
/// (each a string as on the command line, `NAME` or `NAME=WORLD`, or an object with an image file's fields:
/// `{"Name": "web", "Packages": ["nginx"], "User": "nginx", ...}`), then the images of an image file (`--file`,
/// configuration `ImageFile`). An entry that is not valid is logged and left out; an image file that is not
/// valid stops the start.
/// </summary>
internal static class ConfiguredImages
{
    public const string ImageFileKey = "ImageFile";

    public static IReadOnlyList<ImageSpec> Read(IConfiguration configuration, IReadOnlyList<string> commandLine, ILogger logger)
    {
        var section = configuration.GetSection(ServeOptions.SectionName);
        var entries = commandLine.Count > 0
            ? commandLine.Select((text, i) => (Node: (SettingNode)new ScalarNode(text, $"--image {text}"), Index: i))
            : Entries(section.GetSection(nameof(ServeOptions.Images))).Select((node, i) => (Node: node, Index: i));
        var images = new List<ImageSpec>();
        foreach (var (node, index) in entries)
        {
            try
            {
                var spec = node is ScalarNode scalar ? ImageSpec.Parse(scalar.Value) : ImageFile.ReadImage(node, $"Images[{index}]");
                if (!Layout.IsValidRefName(spec.Name))
                    throw new ArgumentException($"'{spec.Name}' is not a valid OCI reference name");
                images.Add(spec);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                logger.LogError("Image {Image} is not served: {Reason}", node is ScalarNode s ? s.Value : $"{ServeOptions.SectionName}:Images:{index}", e.Message);
            }
        }
        if (section[ImageFileKey] is { Length: > 0 } path)
        {
            var file = ImageFile.Read(path);
            images.AddRange(file.Images);
        }
        var twice = images.GroupBy(i => i.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new FormatException($"image '{twice.Key}' is configured twice");
        return images;
    }

    /// <summary>The entries of a configuration list: strings, or objects read as an image file's nodes.</summary>
    private static IEnumerable<SettingNode> Entries(IConfigurationSection list) =>
        list.Value is { Length: > 0 } single ? [new ScalarNode(single, list.Path)] : list.GetChildren().Select(Node);

    private static SettingNode Node(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
            return new ScalarNode(section.Value ?? "", section.Path);
        // Configuration flattens JSON arrays into keys 0, 1, 2... (and keeps them in numeric order).
        return children.All(c => int.TryParse(c.Key, out _))
            ? new ListNode([.. children.Select(Node)], section.Path)
            : new MapNode([.. children.Select(c => new KeyValuePair<string, SettingNode>(c.Key, Node(c)))], section.Path);
    }
}
