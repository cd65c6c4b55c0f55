using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

// Word expansion: parameters, command substitution, arithmetic, field splitting, pathname expansion.
public sealed partial class ShellInterpreter
{
    private enum ExpansionMode
    {
        /// <summary>Command words: split at IFS, globbed, quotes removed.</summary>
        Fields,
        /// <summary>A pattern (case, `${x#p}`): quoted characters come out escaped with `\`.</summary>
        Pattern,
        /// <summary>One string, nothing split or globbed (assignments, here-documents, case subjects, redirection targets).</summary>
        Text,
    }

    /// <summary>The fields of command words, after splitting, pathname expansion and quote removal.</summary>
    private List<string> ExpandFields(IEnumerable<Word> words)
    {
        var result = new List<string>();
        var size = 0L;
        foreach (var word in words)
        {
            var expansion = new Expansion(_host, ExpansionMode.Fields, Ifs());
            Expand(word.Parts, expansion, quoted: false);
            foreach (var (text, pattern) in expansion.Fields())
            {
                if (pattern is not null && !_state.NoGlob && Glob(pattern) is { Count: > 0 } matches)
                    result.AddRange(matches);
                else
                    result.Add(text);
            }
            size += expansion.Size;
            if (size > ShellHost.ValueLimit)
                throw new NotEmulatedException($"a command's words exceed {ShellHost.ValueLimit >> 20} Mi characters, not emulated");
        }
        return result;
    }

    private string ExpandText(Word word)
    {
        var expansion = new Expansion(_host, ExpansionMode.Text, null);
        Expand(word.Parts, expansion, quoted: false);
        return expansion.Text;
    }

    private string ExpandPattern(Word word)
    {
        var expansion = new Expansion(_host, ExpansionMode.Pattern, null);
        Expand(word.Parts, expansion, quoted: false);
        return expansion.Text;
    }

    private string? Ifs() => _state.Variables.GetValueOrDefault("IFS");

    private void Expand(IReadOnlyList<WordPart> parts, Expansion into, bool quoted)
    {
        foreach (var part in parts)
        {
            switch (part)
            {
                case Literal literal:
                    into.Add(literal.Text, quoted, split: false);
                    break;
                case Quoted text:
                    into.Add(text.Text, quoted: true, split: false);
                    break;
                case DoubleQuoted inner:
                    // `"$@"` with no parameters is no field at all; any other quotes make one, even empty.
                    if (inner.Parts is not [Parameter { Name: "@", Operator: ParameterOperator.Value }] || _state.Positional.Length > 0)
                        into.MarkQuoted();
                    Expand(inner.Parts, into, quoted: true);
                    break;
                case Parameter parameter:
                    ExpandParameter(parameter, into, quoted);
                    break;
                case CommandSubstitution substitution:
                    into.Add(Substitute(substitution.Body), quoted, split: true);
                    break;
                case Arithmetic arithmetic:
                    into.Add(Evaluate(ExpandText(arithmetic.Expression)).ToString(CultureInfo.InvariantCulture), quoted, split: true);
                    break;
            }
        }
    }

    private void ExpandParameter(Parameter parameter, Expansion into, bool quoted)
    {
        var name = parameter.Name;
        if (name is "@" or "*" && parameter.Operator == ParameterOperator.Value)
        {
            ExpandPositional(name == "@", into, quoted);
            return;
        }
        var value = Lookup(name);
        bool IsUnset() => parameter.Colon ? string.IsNullOrEmpty(value) : value is null;
        switch (parameter.Operator)
        {
            case ParameterOperator.Value:
                into.Add(value ?? Unset(name), quoted, split: true);
                return;
            case ParameterOperator.Length:
                into.Add((name is "@" or "*" ? _state.Positional.Length : (value ?? Unset(name)).Length).ToString(CultureInfo.InvariantCulture), quoted, split: true);
                return;
            case ParameterOperator.Default:
                if (IsUnset())
                    Expand(parameter.Argument!.Parts, into, quoted);
                else
                    into.Add(value!, quoted, split: true);
                return;
            case ParameterOperator.Alternative:
                if (!IsUnset())
                    Expand(parameter.Argument!.Parts, into, quoted);
                return;
            case ParameterOperator.Assign:
                if (IsUnset())
                {
                    if (!ParserName(name))
                        Fatal($"{name}: bad variable name");
                    value = ExpandText(parameter.Argument!);
                    Assign(name, value);
                }
                into.Add(value!, quoted, split: true);
                return;
            case ParameterOperator.Error:
                if (IsUnset())
                {
                    var message = ExpandText(parameter.Argument!);
                    Fatal($"{name}: {(message.Length > 0 ? message : "parameter not set")}");
                }
                into.Add(value!, quoted, split: true);
                return;
            case ParameterOperator.Substring:
                into.Add(Substring(value ?? Unset(name), parameter), quoted, split: true);
                return;
            case ParameterOperator.ReplaceFirst or ParameterOperator.ReplaceAll:
                into.Add(Replace(value ?? Unset(name), ExpandPattern(parameter.Argument!),
                    parameter.Replacement is { } replacement ? ExpandText(replacement) : "", parameter.Operator == ParameterOperator.ReplaceAll), quoted, split: true);
                return;
            default:
                into.Add(Remove(value ?? Unset(name), ExpandPattern(parameter.Argument!), parameter.Operator), quoted, split: true);
                return;
        }
    }

    private static bool ParserName(string name) => ShellParser.IsName(name);

    /// <summary>`$@` and `$*`: unquoted, each parameter is split on its own; `"$@"` keeps each one a field; `"$*"` joins them with IFS's first character.</summary>
    private void ExpandPositional(bool at, Expansion into, bool quoted)
    {
        var parameters = _state.Positional;
        if (quoted && !at)
        {
            var ifs = Ifs();
            into.Add(string.Join(ifs is null ? " " : ifs.Length > 0 ? ifs[..1] : "", parameters), quoted: true, split: false);
            return;
        }
        for (var i = 0; i < parameters.Length; i++)
        {
            if (i > 0)
                into.BreakField();
            into.Add(parameters[i], quoted, split: true);
        }
    }

    /// <summary>A variable's or special parameter's value; null when unset.</summary>
    private string? Lookup(string name)
    {
        switch (name)
        {
            case "#":
                return _state.Positional.Length.ToString(CultureInfo.InvariantCulture);
            case "?":
                return _state.LastStatus.ToString(CultureInfo.InvariantCulture);
            case "-":
                return (_state.ErrExit ? "e" : "") + (_state.NoGlob ? "f" : "") + (_state.NoUnset ? "u" : "");
            case "@" or "*":
                return string.Join(' ', _state.Positional);
            case "$":
                throw new NotEmulatedException("the shell's process id ($$) is unique to a run");
            case "!":
                return null;
            case "0":
                return _state.ScriptName;
            case "RANDOM" or "SRANDOM":
                throw new NotEmulatedException($"${name} is random");
            case "PPID" or "SECONDS" or "EPOCHSECONDS" or "EPOCHREALTIME" or "BASHPID":
                throw new NotEmulatedException($"${name} is unique to a run");
            case "LINENO":
                return _line.ToString(CultureInfo.InvariantCulture);
        }
        if (char.IsAsciiDigit(name[0]))
        {
            var index = int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;
            return index <= _state.Positional.Length ? _state.Positional[index - 1] : null;
        }
        return _state.Variables.GetValueOrDefault(name);
    }

    /// <summary>An unset parameter's value: empty, or with `set -u` a fatal error.</summary>
    private string Unset(string name)
    {
        if (_state.NoUnset && name is not ("@" or "*"))
            Fatal($"{name}: parameter not set");
        return "";
    }

    /// <summary>Ends a non-interactive shell as ash does on an expansion error: the message and status 2.</summary>
    private void Fatal(string message)
    {
        Diagnostic(message);
        throw new ShellExit(2);
    }

    private static string Remove(string value, string pattern, ParameterOperator op)
    {
        switch (op)
        {
            case ParameterOperator.RemoveSmallestPrefix:
                for (var i = 0; i <= value.Length; i++)
                    if (ShellPattern.IsMatch(pattern, value.AsSpan(0, i)))
                        return value[i..];
                break;
            case ParameterOperator.RemoveLargestPrefix:
                for (var i = value.Length; i >= 0; i--)
                    if (ShellPattern.IsMatch(pattern, value.AsSpan(0, i)))
                        return value[i..];
                break;
            case ParameterOperator.RemoveSmallestSuffix:
                for (var i = value.Length; i >= 0; i--)
                    if (ShellPattern.IsMatch(pattern, value.AsSpan(i)))
                        return value[..i];
                break;
            case ParameterOperator.RemoveLargestSuffix:
                for (var i = 0; i <= value.Length; i++)
                    if (ShellPattern.IsMatch(pattern, value.AsSpan(i)))
                        return value[..i];
                break;
        }
        return value;
    }

    /// <summary>`${x/p/r}`, `${x//p/r}`: the longest match at the first position that matches.</summary>
    private static string Replace(string value, string pattern, string replacement, bool all)
    {
        var result = new StringBuilder();
        var at = 0;
        while (at <= value.Length)
        {
            var end = -1;
            for (var i = value.Length; i >= at; i--)
            {
                if (ShellPattern.IsMatch(pattern, value.AsSpan(at, i - at)))
                {
                    end = i;
                    break;
                }
            }
            if (end < 0 || end == at && pattern.Length > 0 && end == value.Length)
            {
                if (at < value.Length)
                    result.Append(value[at]);
                at++;
                continue;
            }
            result.Append(replacement);
            if (end == at)
            {
                if (at < value.Length)
                    result.Append(value[at]);
                at++;
            }
            else
            {
                at = end;
            }
            if (!all)
                return result.Append(value.AsSpan(Math.Min(at, value.Length))).ToString();
        }
        return result.ToString();
    }

    private string Substring(string value, Parameter parameter)
    {
        var offset = Evaluate(ExpandText(parameter.Argument!));
        if (offset < 0)
            offset = Math.Max(0, value.Length + offset);
        offset = Math.Min(offset, value.Length);
        var length = parameter.Replacement is { } lengthWord ? Evaluate(ExpandText(lengthWord)) : value.Length - offset;
        if (length < 0)
            length = Math.Max(0, value.Length + length - offset);
        return value.Substring((int)offset, (int)Math.Min(length, value.Length - offset));
    }

    private long Evaluate(string expression)
    {
        try
        {
            return new ArithmeticEvaluator(Lookup, Assign).Evaluate(expression);
        }
        catch (ShellArithmeticException error)
        {
            Fatal(error.Message);
            return 0;
        }
    }

    /// <summary>`$(...)`: the commands' output with trailing newlines removed; `$?` becomes their status.</summary>
    private string Substitute(CommandList body)
    {
        if (body.Items.Count == 0)
            return "";
        var output = new BufferOutput();
        var status = RunInSubshell(body, shell => shell._state.Descriptors[1] = new Descriptor(null, output));
        _state.LastStatus = status;
        _substitutionStatus = status;
        return output.Text.TrimEnd('\n');
    }

    // The status of the last command substitution of a command without a command word (`x=$(false)` is 1).
    private int? _substitutionStatus;

    /// <summary>
    /// Pathname expansion of a pattern (quoted characters escaped) against the root: every existing path it
    /// matches, sorted; a `*` or `?` never matches a leading dot, a pattern starting with a dot also matches `.` and
    /// `..`, and a trailing `/` matches directories only. Empty when nothing matches.
    /// </summary>
    private List<string> Glob(string pattern)
    {
        // Each component with the slashes before it, which the matches keep as the pattern has them (`//etc`).
        var components = new List<(string Slashes, string Name)>();
        for (var i = 0; i < pattern.Length;)
        {
            var start = i;
            while (i < pattern.Length && pattern[i] == '/')
                i++;
            var name = i;
            while (i < pattern.Length && pattern[i] != '/')
                i++;
            if (i > name)
                components.Add((pattern[start..name], pattern[name..i]));
        }
        var trailing = pattern[pattern.TrimEnd('/').Length..];
        var matches = new List<string> { "" };
        for (var c = 0; c < components.Count; c++)
        {
            var (slashes, component) = components[c];
            var last = c == components.Count - 1;
            var next = new List<string>();
            foreach (var prefix in matches)
            {
                var directory = prefix + slashes;
                var names = ShellPattern.HasWildcards(component)
                    ? Names(directory.Length == 0 ? "." : directory, component[0] == '.' || component.StartsWith("\\.", StringComparison.Ordinal))
                        .Where(name => ShellPattern.IsMatch(component, name))
                    : [ShellPattern.Unescape(component)];
                foreach (var name in names)
                {
                    var path = directory + name;
                    if (last && trailing.Length == 0 ? Exists(path) : IsDirectory(path))
                        next.Add(last ? path + trailing : path);
                }
            }
            matches = next;
        }
        matches.Sort(StringComparer.Ordinal);
        return matches;
    }

    /// <summary>A directory's entries as readdir gives them to glob: with `.` and `..` when the pattern asks for dot names.</summary>
    private IEnumerable<string> Names(string directory, bool withDots)
    {
        if (!IsDirectory(directory))
            return [];
        var names = _host.Files.List(_host.Files.Real(_state.WorkingDirectory, directory)).Where(n => n[0] != '.' || withDots);
        return withDots ? names.Prepend("..").Prepend(".") : names;
    }

    private bool Exists(string path) => _host.Files[_host.Files.Real(_state.WorkingDirectory, path, followLast: false)] is not null;

    private bool IsDirectory(string path) => _host.Files.IsDirectory(_host.Files.Real(_state.WorkingDirectory, path));

    /// <summary>What an expansion builds: fields (with the pattern of each that may be globbed) or one string.</summary>
    private sealed class Expansion(ShellHost host, ExpansionMode mode, string? ifs)
    {
        private readonly List<(string Text, string? Pattern)> _fields = [];
        private readonly StringBuilder _text = new();
        // One string (Text and Pattern modes): its pieces, joined once at the end (a value is copied once, not twice).
        private readonly List<string> _pieces = [];
        private readonly StringBuilder _pattern = new();
        private bool _exists;
        private bool _glob;
        private bool _pendingBreak;

        public string Text => string.Concat(_pieces);

        /// <summary>Characters expanded into this word (its fields together), bounded by <see cref="ShellHost.ValueLimit"/>.</summary>
        public long Size { get; private set; }

        public void Add(string text, bool quoted, bool split)
        {
            Size += text.Length;
            if (Size > ShellHost.ValueLimit)
                throw new NotEmulatedException($"a word exceeds {ShellHost.ValueLimit >> 20} Mi characters, not emulated");
            host.Expanded += text.Length;
            if (host.Expanded > ShellHost.ExpansionLimit)
                throw new NotEmulatedException($"the script expands more than {ShellHost.ExpansionLimit >> 20} Mi characters in all, not emulated");
            if (mode != ExpansionMode.Fields)
            {
                _pieces.Add(mode == ExpansionMode.Pattern && quoted ? ShellPattern.Escape(text) : text);
                return;
            }
            if (quoted || !split)
            {
                foreach (var c in text)
                    Append(c, quoted);
                if (quoted)
                    MarkQuoted();
                return;
            }
            var separators = ifs ?? " \t\n";
            foreach (var c in text)
            {
                if (separators.IndexOf(c) < 0)
                {
                    Append(c, quoted: false);
                }
                else if (c is ' ' or '\t' or '\n')
                {
                    if (_exists)
                        _pendingBreak = true;
                }
                else
                {
                    Push();
                    _pendingBreak = false;
                }
            }
        }

        /// <summary>Quotes were here: the field exists even if it stays empty.</summary>
        public void MarkQuoted()
        {
            if (mode != ExpansionMode.Fields)
                return;
            StartIfBroken();
            _exists = true;
        }

        /// <summary>Between two parameters of `$@`: the field ends here.</summary>
        public void BreakField()
        {
            if (mode != ExpansionMode.Fields)
            {
                _pieces.Add(" ");
                return;
            }
            if (_exists)
                Push();
            _pendingBreak = false;
        }

        public List<(string Text, string? Pattern)> Fields()
        {
            if (_exists)
                Push();
            return _fields;
        }

        private void Append(char c, bool quoted)
        {
            StartIfBroken();
            _text.Append(c);
            if (quoted && c is '\\' or '*' or '?' or '[' or ']')
                _pattern.Append('\\');
            _pattern.Append(c);
            _glob |= !quoted && c is '*' or '?' or '[';
            _exists = true;
        }

        private void StartIfBroken()
        {
            if (!_pendingBreak)
                return;
            Push();
            _pendingBreak = false;
        }

        private void Push()
        {
            _fields.Add((_text.ToString(), _glob ? _pattern.ToString() : null));
            _text.Clear();
            _pattern.Clear();
            _exists = false;
            _glob = false;
        }
    }
}
