namespace Pkg2d.Testing;

/// <summary>What this machine offers to tests that need root, /dev/fuse or external tools.</summary>
public static class TestHost
{
    public static bool FuseRequired => Environment.GetEnvironmentVariable("PKG2D_REQUIRE_FUSE") == "1";

    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    public static bool FuseAvailable => File.Exists("/dev/fuse") && IsRoot;

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? Which(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, tool);
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}

/// <summary>
/// A fact that needs a real FUSE mount (root and /dev/fuse) and the named tools: skipped with a message when
/// they are missing, unless PKG2D_REQUIRE_FUSE=1 makes that a failure.
/// </summary>
public sealed class FuseFactAttribute : FactAttribute
{
    public FuseFactAttribute(params string[] tools)
    {
        if (TestHost.FuseRequired)
            return;
        if (!TestHost.FuseAvailable)
            Skip = "needs root and /dev/fuse; set PKG2D_REQUIRE_FUSE=1 to make this a failure";
        else if (tools.FirstOrDefault(t => TestHost.Which(t) is null) is { } missing)
            Skip = $"needs {missing} on PATH; set PKG2D_REQUIRE_FUSE=1 to make this a failure";
    }
}

/// <summary>A fact that needs external tools (skopeo, umoci, podman...); skipped when one is missing unless fixtures are required.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        if (Fixtures.Required)
            return;
        if (!Fixtures.Available)
            Skip = "shared fixtures not found (../shared/fixtures)";
        else if (tools.FirstOrDefault(t => TestHost.Which(t) is null) is { } missing)
            Skip = $"needs {missing} on PATH; set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
    }
}
