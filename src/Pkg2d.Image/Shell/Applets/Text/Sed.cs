using System.Text;
using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// busybox 1.36.1's sed, ported from editors/sed.c: the script is parsed the way add_cmd parses it (its quirks
/// included: `a text` one-liners, `#n` comments anywhere, `s` flags `g p N I i w`, ranges `N,M` `/re/,/re/`
/// `N,+M` `$`, `0` matching every line), lines are processed by process_files's loop (read-ahead for `$`, appends
/// flushed before the next line, a missing final newline kept), regular expressions are musl's
/// (<see cref="PosixRegex"/>). `-i` writes a new file (mode and owner of the file it replaces, setuid dropped
/// and setgid too on a group-executable file, as fchown does) and renames it over the operand, a symlink included.
/// </summary>
internal sealed partial class Sed
{
    private const string SemicolonWhitespace = "; \n\r\t\v";
    private const char NoEol = '\u0100'; // get_next_line's NO_EOL_CHAR: the last line had no newline

    private readonly AppletContext _context;
    private readonly List<Command> _commands = [];
    private readonly Dictionary<string, WriteFile> _writeFiles = [];
    private readonly Queue<string> _appends = new();
    private bool _extended;
    private int _quiet;
    private string? _unfinished; // add_cmd_line: a line that ended with a backslash
    private PosixRegex? _previousRegex;
    private string? _hold;
    private int _status;

    // The input: operands read one after the other, opened when first needed.
    private List<string> _inputs = [];
    private int _input;
    private string? _inputText;
    private int _inputPosition;

    // process_files's state: output goes to standard output, or to the new file of `-i`.
    private readonly StringBuilder _stdout = new();
    private StringBuilder _out;
    private char _lastPuts;
    private string? _next;
    private char _nextGets;
    private bool _quit;

    private Sed(AppletContext context)
    {
        _context = context;
        _out = _stdout;
    }

    public static int Run(AppletContext context)
    {
        var sed = new Sed(context);
        try
        {
            return sed.Main();
        }
        catch (Failure failure)
        {
            sed.FlushStandardOutput();
            return context.Fail(failure.Message);
        }
    }

    /// <summary>bb_error_msg_and_die: the message, status 1, and stdio's buffers flushed.</summary>
    private sealed class Failure(string message) : Exception(message);

    private sealed class Command
    {
        public required char Letter;
        public PosixRegex? BeginRegex, EndRegex, SubstituteRegex;
        public int BeginLine, EndLine, BeginLineOriginal, EndLineOriginal;
        public string? Text; // s: the replacement; a i c: the text; r w: the file; b t T :: the label
        public string? FileReal; // w and s///w: the real path written
        public (char From, char To)[] Translation = [];
        public int WhichMatch;
        public bool Invert, InMatch, PrintSubstituted;
        public char WriteLastChar = '\n';
    }

    /// <summary>A file `w` writes: created (truncated) when the script is parsed, written when sed ends.</summary>
    private sealed class WriteFile(string real)
    {
        public string Real { get; } = real;
        public StringBuilder Text { get; } = new();
    }

    private int Main()
    {
        if (_context.Arguments.Count > 0 && _context.Arguments[0] == "--version")
        {
            _context.Output.Write("This is not GNU sed version 4.0\n");
            return 0;
        }
        var (expressions, scripts, inPlace, backup, operands) = ParseOptions();
        foreach (var expression in expressions)
            AddBlock(expression);
        foreach (var script in scripts)
        {
            var file = TextFiles.Open(_context, script);
            if (file.Content is not { } content)
                throw new Failure($"can't open '{script}': {file.Error}");
            foreach (var line in TextFiles.Lines(content))
                AddCommand(line);
        }
        if (expressions.Count == 0 && scripts.Count == 0)
        {
            if (operands.Count == 0)
                return TextApplets.Usage(_context, "[-i[SFX]] [-nrE] [-f FILE]... [-e CMD]... [FILE]...");
            AddBlock(operands[0]);
            operands.RemoveAt(0);
        }
        AddCommand("");

        if (inPlace)
        {
            if (operands.Count == 0)
                throw new Failure("-i requires an argument");
            for (var i = 0; i < operands.Count; i++)
                EditInPlace(operands[i], backup, last: i == operands.Count - 1);
            WriteFiles();
            return _status;
        }
        if (operands.Count == 0)
            operands.Add("-");
        // A `-` operand makes sed run its loop on the files up to it, then start again (line numbers, `$`).
        var start = 0;
        for (var i = 0; i < operands.Count; i++)
        {
            if (operands[i] != "-" && i < operands.Count - 1)
                continue;
            _inputs = operands[start..(i + 1)];
            _input = 0;
            _inputText = null;
            ProcessFiles();
            if (_quit && i < operands.Count - 1)
                throw _context.NotEmulated("q before a later '-' operand");
            start = i + 1;
        }
        FlushStandardOutput();
        WriteFiles();
        return _status;
    }

    private (List<string> Expressions, List<string> Scripts, bool InPlace, string? Backup, List<string> Operands) ParseOptions()
    {
        var (expressions, scripts, operands) = (new List<string>(), new List<string>(), new List<string>());
        var (inPlace, backup) = (false, (string?)null);
        var arguments = _context.Arguments;
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (argument == "--")
            {
                operands.AddRange(arguments.Skip(i + 1));
                break;
            }
            if (argument.Length < 2 || argument[0] != '-')
            {
                operands.Add(argument);
                continue;
            }
            if (argument.StartsWith("--", StringComparison.Ordinal))
            {
                var (name, value) = argument.IndexOf('=') is var eq and > 0 ? (argument[2..eq], argument[(eq + 1)..]) : (argument[2..], null);
                switch (name)
                {
                    case "in-place":
                        (inPlace, backup) = (true, value);
                        break;
                    case "regexp-extended":
                        _extended = true;
                        break;
                    case "quiet" or "silent":
                        _quiet++;
                        break;
                    case "expression" or "file":
                        value ??= ++i < arguments.Count ? arguments[i] : throw _context.NotEmulated($"--{name} without its value");
                        (name == "file" ? scripts : expressions).Add(value);
                        break;
                    default:
                        throw _context.NotEmulated("--" + name);
                }
                continue;
            }
            for (var j = 1; j < argument.Length; j++)
            {
                switch (argument[j])
                {
                    case 'i':
                        inPlace = true;
                        backup = j + 1 < argument.Length ? argument[(j + 1)..] : null;
                        j = argument.Length;
                        break;
                    case 'r' or 'E':
                        _extended = true;
                        break;
                    case 'n':
                        _quiet++;
                        break;
                    case 'e' or 'f':
                        var value = j + 1 < argument.Length ? argument[(j + 1)..]
                            : ++i < arguments.Count ? arguments[i]
                            : throw _context.NotEmulated($"-{argument[j]} without its value");
                        (argument[j] == 'f' ? scripts : expressions).Add(value);
                        j = argument.Length;
                        break;
                    default:
                        throw _context.NotEmulated("-" + argument[j]);
                }
            }
        }
        return (expressions, scripts, inPlace, backup, operands);
    }

    private void EditInPlace(string operand, string? backup, bool last)
    {
        var real = operand.Length == 0 ? "" : _context.Real(operand);
        var node = operand.Length == 0 ? null : _context.Files[real];
        if (node is null || (node.Kind == NodeKind.File && operand.EndsWith('/')))
        {
            _context.Fail($"{operand}: {(node is null ? OpenedFile.Missing : OpenedFile.NotDirectory)}");
            _status = 1;
            return;
        }
        if (node.Kind != NodeKind.File)
            throw _context.NotEmulated($"-i on '{operand}', which is not a regular file");
        _inputs = [operand];
        _input = 0;
        _inputText = null;
        _out = new StringBuilder();
        ProcessFiles();
        var content = ShellText.Encode(_out.ToString());
        _out = _stdout;
        if (_quit && !last)
            throw _context.NotEmulated("-i with q before the last file");
        // The new file is made in the operand's own folder and renamed over it: a symlink is replaced, not followed.
        var path = _context.Real(operand, followLast: false);
        var replaced = _context.Files[path]!;
        if (backup is not null)
        {
            var backupPath = _context.Real(operand + backup, followLast: false);
            if (_context.Files.IsDirectory(backupPath))
                throw _context.NotEmulated($"-i{backup} over a directory");
            _context.Files.Set(backupPath, replaced);
        }
        // fchmod(st_mode) then fchown(st_uid, st_gid): the kernel drops setuid, and setgid on a group-executable file.
        var mode = node.Mode & ~0b100_000_000_000;
        if ((mode & 0b000_001_000) != 0)
            mode &= ~0b010_000_000_000;
        _context.Files.Set(path, replaced with
        {
            Kind = NodeKind.File,
            Mode = mode,
            Uid = node.Uid,
            Gid = node.Gid,
            LinkTarget = null,
            Source = new GeneratedSource(content),
        });
        foreach (var command in _commands)
            (command.BeginLine, command.EndLine) = (command.BeginLineOriginal, command.EndLineOriginal);
    }

    private void FlushStandardOutput()
    {
        if (_stdout.Length > 0)
            _context.Output.Write(_stdout.ToString());
        _stdout.Clear();
    }

    private void WriteFiles()
    {
        foreach (var file in _writeFiles.Values)
            TextFiles.Write(_context, file.Real, ShellText.Encode(file.Text.ToString()), append: false);
    }
}
