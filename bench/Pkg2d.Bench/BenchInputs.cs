using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;

namespace Pkg2d.Bench;

/// <summary>The real fixtures every benchmark reads, located as the tests locate them.</summary>
public static class BenchInputs
{
    public const int X86_64Entries = 4929;

    public static readonly string[] Worlds = ["build-base", "python3", "gcc"];

    public static string KeysDir => Fixtures.KeysDir;

    public static string X86_64Index => Fixtures.X86_64Index;

    /// <summary>The folder of the armhf mirror (served at `/armhf/` by a mirror rooted at <see cref="Fixtures.MirrorBase"/>).</summary>
    public static string ArmhfFolder => Path.Combine(Fixtures.MirrorBase, "armhf");

    public static TrustedKeys LoadKeys() => TrustedKeys.Load([KeysDir]);

    /// <summary>Reads and verifies the x86_64 index the way IndexLoader reads a local one.</summary>
    public static ApkIndex ReadX86_64Index(TrustedKeys keys)
    {
        using var stream = new FileStream(X86_64Index, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.SequentialScan);
        return ApkIndexReader.ReadSigned(stream, "bench/x86_64", X86_64Index, keys, allowUntrusted: false, warn: null);
    }

    /// <summary>Fails loudly when the inputs are not what the numbers claim to be about.</summary>
    public static ApkIndex CheckedX86_64Index(TrustedKeys keys)
    {
        var index = ReadX86_64Index(keys);
        if (index.Entries.Count != X86_64Entries || index.SignedBy is null)
            throw new InvalidOperationException(
                $"{X86_64Index}: expected {X86_64Entries} entries signed by a trusted key, got {index.Entries.Count} signed by {index.SignedBy ?? "nobody"}");
        return index;
    }
}
