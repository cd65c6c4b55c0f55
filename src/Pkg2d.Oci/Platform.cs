namespace Pkg2d.Oci;

/// <summary>An OCI platform (GOOS/GOARCH names, plus the CPU variant for arm).</summary>
public sealed record Platform
{
    public Platform(string os, string architecture, string? variant = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(os);
        ArgumentException.ThrowIfNullOrEmpty(architecture);
        Os = os;
        Architecture = architecture;
        Variant = string.IsNullOrEmpty(variant) ? null : variant;
    }

    public string Os { get; }
    public string Architecture { get; }
    public string? Variant { get; }

    /// <summary>
    /// The platform of an Alpine architecture name (what <c>/etc/apk/arch</c> holds). aarch64 maps to arm64 with
    /// variant v8: Docker Hub's official alpine index publishes <c>linux/arm64/v8</c>, and containerd normalises a
    /// bare arm64 to arm64/v8 when matching, so images made here select the same way as Alpine's own.
    /// </summary>
    public static Platform FromAlpineArch(string alpineArch) => alpineArch switch
    {
        "x86_64" => new("linux", "amd64"),
        "aarch64" => new("linux", "arm64", "v8"),
        "armhf" => new("linux", "arm", "v6"),
        "armv7" => new("linux", "arm", "v7"),
        "x86" => new("linux", "386"),
        "ppc64le" => new("linux", "ppc64le"),
        "s390x" => new("linux", "s390x"),
        "riscv64" => new("linux", "riscv64"),
        _ => throw new ArgumentException(
            $"unknown Alpine architecture '{alpineArch}'; known: x86_64, aarch64, armhf, armv7, x86, ppc64le, s390x, riscv64",
            nameof(alpineArch)),
    };

    /// <summary>os/architecture[/variant], as podman and docker print it.</summary>
    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
