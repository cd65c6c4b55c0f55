namespace Pkg2d.Testing;

/// <summary>
/// A fact that runs programs in an <see cref="AlpineChroot"/>: needs the fixtures, root, `tar` and `chroot`, and any
/// other tools named. Skipped with a message when one is missing, unless PKG2D_REQUIRE_FIXTURES=1 makes that a failure.
/// </summary>
public sealed class ChrootFactAttribute : FactAttribute
{
    public ChrootFactAttribute(params string[] tools) => Skip = ChrootRequirements.SkipReason(tools);
}

/// <summary>A theory with the needs of a <see cref="ChrootFactAttribute"/>.</summary>
public sealed class ChrootTheoryAttribute : TheoryAttribute
{
    public ChrootTheoryAttribute(params string[] tools) => Skip = ChrootRequirements.SkipReason(tools);
}

internal static class ChrootRequirements
{
    public static string? SkipReason(string[] tools)
    {
        if (Fixtures.Required)
            return null;
        if (!Fixtures.Available)
            return "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
        if (!TestHost.IsRoot)
            return "chroot needs root; set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
        return new[] { "tar", "chroot" }.Concat(tools).FirstOrDefault(t => TestHost.Which(t) is null) is { } missing
            ? $"needs {missing} on PATH; set PKG2D_REQUIRE_FIXTURES=1 to make this a failure"
            : null;
    }
}
