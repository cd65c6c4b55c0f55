namespace Pkg2d.Image.Definition;

/// <summary>
/// A value of an image definition as a file or configuration holds it, with where it is written (`images.yaml:4:11`,
/// `pkg2d:Images:1`) for errors. YAML, JSON and the daemon's configuration all read into these, so one reader
/// (<see cref="ImageFile"/>) checks them alike.
/// </summary>
public abstract record SettingNode(string Location);

/// <summary>A scalar as written (YAML's `~` and an empty value are "").</summary>
public sealed record ScalarNode(string Value, string Location) : SettingNode(Location);

public sealed record ListNode(IReadOnlyList<SettingNode> Items, string Location) : SettingNode(Location);

/// <summary>A mapping in the order written; keys are unique.</summary>
public sealed record MapNode(IReadOnlyList<KeyValuePair<string, SettingNode>> Entries, string Location) : SettingNode(Location);
