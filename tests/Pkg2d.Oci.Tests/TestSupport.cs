using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace Pkg2d.Oci.Tests;

/// <summary>A temporary folder removed when disposed.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => System.IO.Directory.CreateDirectory(Directory);

    public string Directory { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "pkg2d-oci-" + Guid.NewGuid().ToString("N")[..12]);

    public string Path(params string[] parts) => System.IO.Path.Combine([Directory, .. parts]);

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>Small deterministic tar+gzip layers and images built from them.</summary>
public static class TestImages
{
    private static readonly DateTimeOffset Epoch = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>A gzip-compressed tar of the given files (path -> text), with their parent folders, all at a fixed time.</summary>
    public static byte[] TarGz(params (string Path, string Text)[] files)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Ustar, leaveOpen: true))
        {
            var folders = files.SelectMany(f => Parents(f.Path)).Distinct().Order(StringComparer.Ordinal);
            foreach (var folder in folders)
                writer.WriteEntry(new UstarTarEntry(TarEntryType.Directory, folder + "/") { ModificationTime = Epoch, Mode = (UnixFileMode)0x1ed });
            foreach (var (path, text) in files)
            {
                writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, path)
                {
                    ModificationTime = Epoch,
                    Mode = (UnixFileMode)0x1a4,
                    DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
                });
            }
        }
        var gz = new MemoryStream();
        using (var gzip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true))
            gzip.Write(tar.ToArray());
        return gz.ToArray();
    }

    private static IEnumerable<string> Parents(string path)
    {
        for (var i = path.IndexOf('/'); i > 0; i = path.IndexOf('/', i + 1))
            yield return path[..i];
    }

    public static Layer BaseLayer() => Layer.FromBytes(TarGz(("etc/os-release", "NAME=test\n"), ("bin/hello", "#!/bin/sh\necho hello\n")));

    public static Layer AppLayer(string name) => Layer.FromBytes(TarGz(($"opt/{name}/README", $"this is {name}\n")));

    public static OciImage Image(Platform platform, params ILayer[] layers) => new(
        new ImageConfig(platform)
        {
            Created = Epoch,
            Config = new ContainerConfig
            {
                Env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                Cmd = ["/bin/sh"],
                WorkingDir = "/",
                Labels = new Dictionary<string, string> { ["org.example.b"] = "x+y<z", ["org.example.a"] = "1" },
            },
            History = layers.Select(l => new HistoryEntry { Created = Epoch, CreatedBy = $"test layer {l.DiffId.Hex[..12]}" }).ToArray(),
        },
        layers);

    /// <summary>Two images, "one" and "two", that share their base layer.</summary>
    public static Layout TwoImages()
    {
        var amd64 = Platform.FromAlpineArch("x86_64");
        var shared = BaseLayer();
        return new Layout(
            new LayoutEntry("one", Image(amd64, shared, AppLayer("one"))),
            new LayoutEntry("two", Image(amd64, shared, AppLayer("two"))));
    }
}
