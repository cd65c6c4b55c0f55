using System.Runtime.InteropServices;

namespace Pkg2d.Fetch;

/// <summary>Alpine's architecture names (the `&lt;arch&gt;` folder of a repository).</summary>
public static class AlpineArch
{
    public static IReadOnlyList<string> Known { get; } = ["x86_64", "aarch64", "armhf", "armv7", "x86", "ppc64le", "s390x", "riscv64"];

    /// <summary>The Alpine arch of this machine.</summary>
    public static string Host() => FromArchitecture(RuntimeInformation.OSArchitecture);

    /// <summary>The Alpine arch for a .NET architecture; 32-bit ARM maps to armv7 (armhf is ARMv6).</summary>
    public static string FromArchitecture(Architecture architecture) => architecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        Architecture.Armv6 => "armhf",
        Architecture.Arm => "armv7",
        Architecture.X86 => "x86",
        Architecture.Ppc64le => "ppc64le",
        Architecture.S390x => "s390x",
        Architecture.RiscV64 => "riscv64",
        _ => throw new PlatformNotSupportedException($"Alpine has no packages for the {architecture} architecture"),
    };

    /// <summary>Returns <paramref name="arch"/> when Alpine knows it, else throws naming the known ones.</summary>
    public static string Validate(string arch) =>
        Known.Contains(arch, StringComparer.Ordinal)
            ? arch
            : throw new ArgumentException($"unknown architecture '{arch}'; Alpine's are {string.Join(", ", Known)}", nameof(arch));
}
