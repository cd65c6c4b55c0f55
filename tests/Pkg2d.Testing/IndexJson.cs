using System.Text.Json;

namespace Pkg2d.Testing;

/// <summary>Reading an OCI layout's index.json, where images carry a ref name and their SBOMs do not.</summary>
public static class IndexJson
{
    /// <summary>A descriptor's `org.opencontainers.image.ref.name`, or null (an artifact that refers to an image).</summary>
    public static string? RefName(JsonElement descriptor) =>
        descriptor.TryGetProperty("annotations", out var annotations) && annotations.TryGetProperty("org.opencontainers.image.ref.name", out var name)
            ? name.GetString()
            : null;
}
