using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// An operand as a text applet opens it: its bytes, or the errno text open(2) or read(2) would give. A directory
/// opens (read-only) but fails to read: applets differ in whether they say so, so it is told apart.
/// </summary>
internal readonly record struct OpenedFile(byte[]? Content, string? Error)
{
    public const string Missing = "No such file or directory";
    public const string NotDirectory = "Not a directory";
    public const string IsDirectory = "Is a directory";

    public bool IsDirectoryOperand => Error == IsDirectory;
}

/// <summary>Reading and writing the files text applets name, from the shell's working directory.</summary>
internal static class TextFiles
{
    /// <summary>Opens <paramref name="operand"/> for reading; `-` is standard input, read to its end.</summary>
    public static OpenedFile Open(AppletContext context, string operand)
    {
        if (operand == "-")
            return new OpenedFile(context.Input.ReadAll(), null);
        if (operand.Length == 0)
            return new OpenedFile(null, OpenedFile.Missing);
        var real = context.Real(operand);
        return context.Files[real] switch
        {
            { Kind: NodeKind.Directory } => new OpenedFile(null, OpenedFile.IsDirectory),
            { Kind: NodeKind.File } when operand.EndsWith('/') => new OpenedFile(null, OpenedFile.NotDirectory),
            { Kind: NodeKind.File } => new OpenedFile(context.Files.Read(real), null),
            { Kind: NodeKind.Symlink } => throw context.NotEmulated($"on '{operand}' (a symlink loop)"),
            _ => new OpenedFile(null, AncestorIsFile(context, real) ? OpenedFile.NotDirectory : OpenedFile.Missing),
        };
    }

    /// <summary>The real path an operand names, or null for the empty operand (which names nothing).</summary>
    public static string? RealOrNull(AppletContext context, string operand) => operand.Length == 0 ? null : context.Real(operand);

    /// <summary>
    /// Why open(O_CREAT) would fail at <paramref name="real"/> (null: the empty operand): its folder is missing or is a
    /// file, or it is a folder; null when it would succeed.
    /// </summary>
    public static string? CreateError(AppletContext context, string? real) => real is null ? OpenedFile.Missing : context.Files[real] switch
    {
        { Kind: NodeKind.Directory } => OpenedFile.IsDirectory,
        { Kind: NodeKind.File } => null,
        _ => AncestorIsFile(context, real) ? OpenedFile.NotDirectory
            : context.Files[RootFiles.Parent(real)] is { Kind: NodeKind.Directory } ? null
            : OpenedFile.Missing,
    };

    /// <summary>Writes a whole file as fopen(w)/fopen(a) and write(2) would: an existing file keeps its mode and owner.</summary>
    public static void Write(AppletContext context, string real, byte[] content, bool append)
    {
        var existing = context.Files[real] is { Kind: NodeKind.File } ? context.Files.Read(real) : null;
        context.Files.Write(real, append && existing is not null ? [.. existing, .. content] : content, 0b110_110_110 & ~context.Umask);
    }

    /// <summary>The lines of <paramref name="content"/> without their newlines; a last line without newline counts.</summary>
    public static List<string> Lines(byte[] content)
    {
        var text = ShellText.Decode(content);
        var lines = text.Split('\n').ToList();
        if (lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    /// <summary>tolower on each byte, as musl's C functions do it: ASCII letters only.</summary>
    public static string AsciiLower(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = source[i] is >= 'A' and <= 'Z' ? (char)(source[i] + 32) : source[i];
        });

    private static bool AncestorIsFile(AppletContext context, string real)
    {
        for (var parent = RootFiles.Parent(real); parent.Length > 0; parent = RootFiles.Parent(parent))
        {
            if (context.Files[parent] is { } node)
                return node.Kind == NodeKind.File;
        }
        return false;
    }
}
