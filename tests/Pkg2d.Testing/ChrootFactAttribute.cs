namespace Pkg2d.Testing;

/// <summary>
/// A fact that runs programs in an <see cref="AlpineChroot"/>: needs the fixtures, root, `tar` and `chroot`.
/// Skipped with a message when one is missing, unless PKG2D_REQUIRE_FIXTURES=1 makes that a failure.
/// </summary>
public sealed class ChrootFactAttribute : FactAttribute
{
    public ChrootFactAttribute()
    {
        if (Fixtures.Required)
            return;
        if (!Fixtures.Available)
            Skip = "shared fixtures not found (../shared/fixtures); set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
        else if (!TestHost.IsRoot)
            Skip = "chroot needs root; set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
        else if (new[] { "tar", "chroot" }.FirstOrDefault(t => TestHost.Which(t) is null) is { } missing)
            Skip = $"needs {missing} on PATH; set PKG2D_REQUIRE_FIXTURES=1 to make this a failure";
    }
}
