using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Scripts;

/// <summary>A theory that runs programs in an <see cref="AlpineChroot"/>; skipped like <see cref="ChrootFactAttribute"/>.</summary>
public sealed class ChrootTheoryAttribute : TheoryAttribute
{
    public ChrootTheoryAttribute() => Skip = new ChrootFactAttribute().Skip;
}
