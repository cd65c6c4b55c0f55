using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using Pkg2d.Oci;

namespace Pkg2d.Serve.Tests;

/// <summary>
/// A layer that counts how often it is opened and can be told to fail, to produce wrong bytes, or to wait at
/// open until released (a slow download).
/// </summary>
internal sealed class CountingLayer(Layer inner, string name) : ILayer
{
    private readonly byte[] _bytes = ReadAll(inner);
    private int _opens;

    public string Name { get; } = name;
    public Descriptor Descriptor => inner.Descriptor;
    public Digest DiffId => inner.DiffId;
    public byte[] Bytes => _bytes;
    public int Opens => Volatile.Read(ref _opens);

    /// <summary>When set, Open throws it (as a failing download would).</summary>
    public volatile Exception? Fault;

    /// <summary>When set, Open returns bytes that differ from the digest.</summary>
    public volatile bool Corrupt;

    /// <summary>When set, Open blocks until it completes.</summary>
    public volatile TaskCompletionSource? Gate;

    /// <summary>Completes on each open, for tests that wait for a production to start.</summary>
    public TaskCompletionSource Opened { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void ResetOpened() => Opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Stream Open()
    {
        Interlocked.Increment(ref _opens);
        Opened.TrySetResult();
        Gate?.Task.Wait(TimeSpan.FromSeconds(30));
        if (Fault is { } fault)
            throw fault;
        if (Corrupt)
        {
            var wrong = (byte[])_bytes.Clone();
            wrong[^1] ^= 0xff;
            return new MemoryStream(wrong, writable: false);
        }
        return inner.Open();
    }

    private static byte[] ReadAll(Layer layer)
    {
        using var stream = layer.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

/// <summary>Small synthetic images: "base" and "tool" share a layer; the world "w1" shares it too.</summary>
internal sealed class TestImages
{
    public static readonly Platform Amd64 = new("linux", "amd64");

    public CountingLayer Shared { get; } = NewLayer("shared", ("etc/shared.txt", 70_000));
    public CountingLayer A { get; } = NewLayer("a", ("opt/a/data.bin", 150_000));
    public CountingLayer B { get; } = NewLayer("b", ("usr/bin/b", 90_000), ("usr/share/b.txt", 1_000));
    public CountingLayer C { get; } = NewLayer("c", ("srv/c.bin", 40_000));

    public OciImage Base { get; }
    public OciImage Tool { get; }
    public OciImage World { get; }

    public TestImages()
    {
        Base = Image(Shared, A);
        Tool = Image(Shared, B);
        World = Image(Shared, C);
    }

    public IReadOnlyList<CountingLayer> Layers => [Shared, A, B, C];

    public Layout RootLayout() => new(new LayoutEntry("base", Base), new LayoutEntry("tool", Tool));

    public Layout WorldLayout() => new(new LayoutEntry("latest", World));

    public static OciImage Image(params CountingLayer[] layers) =>
        new(new ImageConfig(Amd64) { Created = DateTimeOffset.UnixEpoch }, layers);

    /// <summary>A gzip tar whose files hold bytes derived from their names, so every layer differs.</summary>
    public static CountingLayer NewLayer(string name, params (string Path, int Size)[] files)
    {
        using var tar = new MemoryStream();
        using (var gzip = new GZipStream(tar, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, size) in files)
            {
                var content = new byte[size];
                new Random(Encoding.UTF8.GetBytes(path).Sum(b => b)).NextBytes(content);
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(content),
                    Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                });
            }
        }
        return new CountingLayer(Layer.FromBytes(tar.ToArray()), name);
    }
}

/// <summary>A provider whose Root can be replaced and which knows one world, "w1"; it counts world look-ups.</summary>
internal sealed class TestProvider(TestImages images) : ILayoutProvider
{
    private volatile Layout _root = images.RootLayout();
    private int _worldCalls;

    public const string WorldName = "w1";

    public Layout Root
    {
        get => _root;
        set => _root = value;
    }

    public int WorldCalls => Volatile.Read(ref _worldCalls);

    /// <summary>While true, every world is refused for now, as a provider with all its resolution slots taken.</summary>
    public bool Busy { get; set; }

    public ValueTask<Layout?> ForWorldAsync(string world, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _worldCalls);
        if (Busy)
            throw new ProviderBusyException("all resolution slots are taken");
        return ValueTask.FromResult(world == WorldName ? images.WorldLayout() : null);
    }
}
