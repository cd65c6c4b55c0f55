namespace Pkg2d.Image.Shell;

/// <summary>Where a command's output goes: nowhere, a buffer (a pipe or `$(...)`), or a file of the root.</summary>
public abstract class ShellOutput
{
    public abstract void Write(ReadOnlySpan<byte> bytes);

    public void Write(string text) => Write(ShellText.Encode(text));

    /// <summary>Output nobody reads: `/dev/null`, and apk's log when nothing collects it.</summary>
    public static readonly ShellOutput Null = new NullOutput();

    private sealed class NullOutput : ShellOutput
    {
        public override void Write(ReadOnlySpan<byte> bytes)
        {
        }
    }
}

/// <summary>Output kept in memory, up to a bound past which the script is not emulated (it would fill a disk).</summary>
public sealed class BufferOutput(int limit = BufferOutput.DefaultLimit) : ShellOutput
{
    public const int DefaultLimit = ShellHost.ValueLimit;

    private readonly MemoryStream _buffer = new();

    public override void Write(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length + bytes.Length > limit)
            throw new NotEmulatedException($"a command's output exceeds {limit >> 20} MiB, not emulated");
        _buffer.Write(bytes);
    }

    public byte[] ToArray() => _buffer.ToArray();

    public string Text => ShellText.Decode(_buffer.GetBuffer().AsSpan(0, (int)_buffer.Length));
}

/// <summary>A command's input: bytes read front to back, shared by the commands that read the same descriptor.</summary>
public sealed class ShellInput(byte[] data)
{
    private readonly bool _directory;
    private int _position;

    private ShellInput(bool directory) : this([]) => _directory = directory;

    public static ShellInput Empty => new([]);

    /// <summary>A directory opened for reading (`< dir`): the open succeeds, every read fails.</summary>
    public static ShellInput Directory => new(directory: true);

    public bool AtEnd => _position >= data.Length;

    /// <summary>Everything not read yet.</summary>
    public byte[] ReadAll()
    {
        ThrowIfDirectory();
        var rest = data[_position..];
        _position = data.Length;
        return rest;
    }

    public string ReadAllText() => ShellText.Decode(ReadAll());

    /// <summary>The next line without its newline, or null at the end; <paramref name="complete"/> is false for a last line without newline.</summary>
    public string? ReadLine(out bool complete)
    {
        ThrowIfDirectory();
        complete = false;
        if (AtEnd)
            return null;
        var end = Array.IndexOf(data, (byte)'\n', _position);
        complete = end >= 0;
        var line = ShellText.Decode(data.AsSpan(_position, (complete ? end : data.Length) - _position));
        _position = complete ? end + 1 : data.Length;
        return line;
    }

    private void ThrowIfDirectory()
    {
        if (_directory)
            throw new NotEmulatedException("reading a directory (EISDIR) is not emulated");
    }
}

/// <summary>Output into a file of the root (`>`, `>>`): each write appends to the file the redirection opened.</summary>
public sealed class FileOutput(RootFiles files, string real) : ShellOutput
{
    public override void Write(ReadOnlySpan<byte> bytes)
    {
        // A file removed or replaced while open keeps receiving output on the host; here that output is gone.
        if (bytes.Length == 0 || files.KindOf(real) is not Root.NodeKind.File)
            return;
        files.Append(real, bytes);
    }
}
