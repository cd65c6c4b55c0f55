using System.IO.Compression;
using System.Security.Cryptography;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Testing;

namespace Pkg2d.Apk.Tests;

/// <summary>Fixture data shared by the tests, loaded once.</summary>
internal static class TestData
{
    private static readonly Lazy<TrustedKeys> LazyKeys = new(() => TrustedKeys.Load([Fixtures.KeysDir]));
    private static readonly Lazy<ApkIndex> LazyMirrorIndex = new(() =>
    {
        using var file = File.OpenRead(MirrorIndexPath);
        return ApkIndexReader.ReadSigned(file, MirrorArmhf, MirrorIndexPath, Keys, allowUntrusted: false, warn: null);
    });

    private static readonly Lazy<byte[]> TestKeyPkcs8 = new(() =>
    {
        using var rsa = RSA.Create(1024); // small: generated on every run, and only signs test data
        return rsa.ExportPkcs8PrivateKey();
    });

    public static TrustedKeys Keys => LazyKeys.Value;

    /// <summary>A private key for signing synthetic data; generated once, a fresh instance per caller.</summary>
    public static RSA TestKey()
    {
        var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(TestKeyPkcs8.Value, out _);
        return rsa;
    }

    public static string MirrorArmhf => Path.Combine(Fixtures.MirrorBase, "armhf");

    public static string MirrorIndexPath => Path.Combine(MirrorArmhf, "APKINDEX.tar.gz");

    /// <summary>The verified v3.7 armhf index of the mirror fixture.</summary>
    public static ApkIndex MirrorIndex => LazyMirrorIndex.Value;

    public static IEnumerable<string> MirrorPackages =>
        Directory.EnumerateFiles(MirrorArmhf, "*.apk").Order(StringComparer.Ordinal);

    /// <summary>The index entry whose file name is <paramref name="fileName"/>.</summary>
    public static ApkIndexEntry MirrorEntry(string fileName) => MirrorIndex.Entries.Single(e => e.FileName == fileName);

    public static byte[] Gzip(byte[] content)
    {
        var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(content);
        return output.ToArray();
    }

    public static string Sha1Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA1.HashData(data));
}

/// <summary>A temporary folder removed on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pkg2d-apk-" + Guid.NewGuid().ToString("N"));

    /// <summary>Copies <paramref name="file"/> here and returns the copy's path.</summary>
    public string Copy(string file)
    {
        var copy = System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file));
        File.Copy(file, copy);
        return copy;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>A read-only view of a stream that cannot seek, as a download would be.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }
}
