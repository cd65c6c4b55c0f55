namespace Pkg2d.Testing;

/// <summary>
/// Locates the shared real-Alpine fixtures (`../shared/fixtures` from the repository root).
/// Tests that need them are skipped when they are missing, unless PKG2D_REQUIRE_FIXTURES=1.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string?> Root = new(Find);

    public static bool Required => Environment.GetEnvironmentVariable("PKG2D_REQUIRE_FIXTURES") == "1";

    public static bool Available => Root.Value is not null;

    /// <summary>The fixtures folder; throws when it is missing (only reached by tests that were not skipped).</summary>
    public static string Dir => Root.Value
        ?? throw new InvalidOperationException(
            "the shared fixtures were not found: expected ../shared/fixtures beside the repository, or PKG2D_FIXTURES");

    public static string Path(params string[] parts) => System.IO.Path.Combine([Dir, .. parts]);

    public static string KeysDir => Path("keys", "alpine");

    public static string MirrorBase => Path("mirror", "v3.7", "main");

    /// <summary>Alpine 3.19.1's install repository (x86_64): 100 real, signed packages with real install scripts.</summary>
    public static string IsoMirrorBase => Path("mirror", "v3.19-iso");

    public static string X86_64Index => Path("indexes", "v3.16.3-main-x86_64-APKINDEX.tar.gz");

    public static string Aarch64Index => Path("indexes", "v3.17.3-main-aarch64-APKINDEX.tar.gz");

    public static string MiniRootfs => Path("rootfs", "alpine-minirootfs-3.20.3-x86_64.tar.gz");

    /// <summary>The armhf mirror's file of a package: its name followed by `-` and a version.</summary>
    public static string MirrorPackage(string name) =>
        Directory.GetFiles(System.IO.Path.Combine(MirrorBase, "armhf"), name + "-*.apk").Single(f => char.IsAsciiDigit(System.IO.Path.GetFileName(f)[name.Length + 1]));

    /// <summary>The `datahash` an armhf mirror package's `.PKGINFO` states, read with GNU tar (not the project's code).</summary>
    public static string MirrorPackageDataHash(string name) =>
        Tool.RunOk("tar", "-xzOf", MirrorPackage(name), ".PKGINFO").Split('\n').Single(l => l.StartsWith("datahash = ")).Split(" = ")[1].Trim();

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("PKG2D_FIXTURES");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(env) ? System.IO.Path.GetFullPath(env) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "pkg2d.sln")))
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures");
                return Directory.Exists(candidate) ? System.IO.Path.GetFullPath(candidate) : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs the shared fixtures: skipped with a message when they are absent, unless required.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute()
    {
        if (!Fixtures.Available && !Fixtures.Required)
            Skip = "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
    }
}

/// <summary>A theory that needs the shared fixtures.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute()
    {
        if (!Fixtures.Available && !Fixtures.Required)
            Skip = "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
    }
}
