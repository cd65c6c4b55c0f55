using System.Globalization;
using System.Text;

namespace Pkg2d.Image.Shell;

// process_files: each line through the script, what the commands do, and the output.
internal sealed partial class Sed
{
    private enum Flow { EndOfScript, DiscardLine, Restart }

    private void ProcessFiles()
    {
        _lastPuts = '\n';
        _quit = false;
        var lineNumber = 0;
        _next = NextLine(out _nextGets);
        while (_next is { } line)
        {
            var state = new Cycle(line, _nextGets);
            _next = NextLine(out _nextGets);
            state.LineNumber = ++lineNumber;
            var flow = Flow.Restart;
            while (flow == Flow.Restart)
                flow = Execute(state);
            if (flow == Flow.EndOfScript && _quiet == 0)
                Puts(state.PatternSpace, state.LastGets);
            FlushAppends();
            lineNumber = state.LineNumber;
        }
    }

    /// <summary>The line being worked on: the pattern space, how its last line ended, its number, and `t`'s flag.</summary>
    private sealed class Cycle(string patternSpace, char lastGets)
    {
        public string PatternSpace = patternSpace;
        public char LastGets = lastGets;
        public int LineNumber;
        public bool Substituted;
    }

    private Flow Execute(Cycle state)
    {
        for (var i = 0; i < _commands.Count; i++)
        {
            var command = _commands[i];
            var matched = Matches(command, state);
            if (command.Letter == '{')
            {
                if (command.Invert ? matched : !matched)
                    i = EndOfBlock(i);
                continue;
            }
            if (command.Invert ? matched : !matched)
                continue;
            if (command.BeginRegex is not null)
                _previousRegex = command.BeginRegex;
            switch (command.Letter)
            {
                case '=':
                    _out.Append(CultureInfo.InvariantCulture, $"{state.LineNumber}\n");
                    break;
                case 'P' when state.PatternSpace.IndexOf('\n') is var newline and >= 0:
                    Puts(state.PatternSpace[..newline], '\n');
                    break;
                case 'p' or 'P':
                    Puts(state.PatternSpace, '\n');
                    break;
                case 'D' when state.PatternSpace.IndexOf('\n') is var newline and >= 0:
                    state.PatternSpace = state.PatternSpace[(newline + 1)..];
                    return Flow.Restart;
                case 'd' or 'D':
                    return Flow.DiscardLine;
                case 's':
                    if (!Substitute(command, state))
                        break;
                    state.Substituted = true;
                    if (command.PrintSubstituted)
                        Puts(state.PatternSpace, state.LastGets);
                    if (command.FileReal is not null)
                        WriteTo(command, state.PatternSpace, state.LastGets);
                    break;
                case 'a':
                    _appends.Enqueue(command.Text!);
                    break;
                case 'i':
                    Puts(command.Text!, '\n');
                    break;
                case 'c':
                    // Only at the last line of a range.
                    if (!command.InMatch)
                        Puts(command.Text!, '\n');
                    return Flow.DiscardLine;
                case 'r':
                    // fopen: `-` is a file of that name here.
                    var file = TextFiles.Open(_context, command.Text == "-" ? "./-" : command.Text!);
                    if (file.Content is { } content)
                    {
                        foreach (var line in TextFiles.Lines(content))
                            _appends.Enqueue(line);
                    }
                    break;
                case 'w':
                    WriteTo(command, state.PatternSpace, state.LastGets);
                    break;
                case 'n':
                    if (_quiet == 0)
                        Puts(state.PatternSpace, state.LastGets);
                    if (_next is null)
                        return Flow.DiscardLine;
                    (state.PatternSpace, state.LastGets) = (_next, _nextGets);
                    _next = NextLine(out _nextGets);
                    state.Substituted = false;
                    state.LineNumber++;
                    break;
                case 'q':
                    _next = null;
                    _quit = true;
                    return Flow.EndOfScript;
                case 'N':
                    if (_next is null)
                        return Flow.EndOfScript;
                    (state.PatternSpace, state.LastGets) = (state.PatternSpace + "\n" + _next, _nextGets);
                    _next = NextLine(out _nextGets);
                    state.LineNumber++;
                    break;
                case 't' or 'T' or 'b':
                    if (command.Letter == 't' && !state.Substituted)
                        break;
                    if (command.Letter == 't')
                        state.Substituted = false;
                    if (command.Letter == 'T' && state.Substituted)
                        break;
                    if (command.Text is null)
                        return Flow.EndOfScript;
                    i = Label(command.Text);
                    break;
                case 'y':
                    state.PatternSpace = string.Create(state.PatternSpace.Length, (state.PatternSpace, command.Translation), static (span, data) =>
                    {
                        for (var k = 0; k < span.Length; k++)
                        {
                            var c = data.PatternSpace[k];
                            var pair = Array.FindIndex(data.Translation, t => t.From == c);
                            span[k] = pair >= 0 ? data.Translation[pair].To : c;
                        }
                    });
                    break;
                case 'g':
                    state.PatternSpace = _hold ?? "";
                    break;
                case 'G':
                    state.PatternSpace = state.PatternSpace + "\n" + _hold;
                    state.LastGets = '\n';
                    break;
                case 'h':
                    _hold = state.PatternSpace;
                    break;
                case 'H':
                    _hold = _hold + "\n" + state.PatternSpace;
                    break;
                case 'x':
                    (state.PatternSpace, _hold) = (_hold ?? "", state.PatternSpace);
                    state.LastGets = '\n';
                    break;
            }
        }
        return Flow.EndOfScript;
    }

    /// <summary>Whether the command's address selects this line, updating its range state as process_files does.</summary>
    private bool Matches(Command command, Cycle state)
    {
        var wasInMatch = command.InMatch;
        if (!wasInMatch)
            command.EndLine = command.EndLineOriginal;
        var line = state.LineNumber;
        command.InMatch = command.InMatch
            || (command.BeginLine == 0 && command.EndLine == 0 && command.BeginRegex is null && command.EndRegex is null)
            || (command.BeginLine > 0 && (command.EndLine != 0 || command.EndRegex is not null ? command.BeginLine <= line : command.BeginLine == line))
            || BeginMatches(command, state.PatternSpace)
            || (command.BeginLine == -1 && _next is null);
        var matched = command.InMatch;
        if (matched)
        {
            if (command.EndLine <= -2)
                command.EndLine = line + (-command.EndLine - 2);
            // Once matched, an `N,...` range is dead.
            if (command.BeginLine > 0)
                command.BeginLine = -2;
            command.InMatch = !((command.EndLine != 0 ? command.EndLine == -1 ? _next is null : command.EndLine <= line : command.EndRegex is null)
                || (command.EndRegex is not null && wasInMatch && command.EndRegex.IsMatch(state.PatternSpace)));
        }
        return matched;
    }

    private bool BeginMatches(Command command, string patternSpace)
    {
        if (command.BeginRegex is null || !command.BeginRegex.IsMatch(patternSpace))
            return false;
        _previousRegex = command.BeginRegex;
        return true;
    }

    private int EndOfBlock(int open)
    {
        var depth = 0;
        for (var i = open; i < _commands.Count; i++)
        {
            if (_commands[i].Letter == '{')
                depth++;
            if (_commands[i].Letter == '}' && --depth == 0)
                return i;
        }
        throw new Failure("unterminated {");
    }

    private int Label(string label)
    {
        var index = _commands.FindIndex(c => c.Letter == ':' && c.Text == label);
        return index >= 0 ? index : throw new Failure($"can't find label for jump to '{label}'");
    }

    /// <summary>do_subst_command: replaces the chosen match (or all of them) in the pattern space; true when one was replaced.</summary>
    private bool Substitute(Command command, Cycle state)
    {
        var regex = command.SubstituteRegex ?? _previousRegex ?? throw new Failure("no previous regexp");
        _previousRegex = regex;
        var line = state.PatternSpace;
        var match = regex.Match(line);
        if (match is null)
            return false;
        var output = new StringBuilder();
        var (count, altered, previousEmpty, triedAtEnd) = (0, false, true, false);
        var at = 0; // busybox's `line` pointer
        do
        {
            var (start, end) = (match[0].Start, match[0].End);
            count++;
            if (command.WhichMatch != 0 && command.WhichMatch != count)
            {
                output.Append(line, at, end);
                at += end;
                if (start == end && at < line.Length)
                    output.Append(line[at++]);
            }
            else
            {
                output.Append(line, at, start);
                // An empty match right after a non-empty one is not replaced ("cccd" s/c*/R/g is "RdR").
                if (previousEmpty || start != 0 || start != end)
                {
                    AppendReplacement(output, line, at, match, command.Text!);
                    altered = true;
                }
                previousEmpty = start == end;
                if (previousEmpty)
                {
                    if (at + end >= line.Length)
                        triedAtEnd = true;
                    else
                        output.Append(line[at + end++]);
                }
                at += end;
                if (command.WhichMatch != 0)
                    break;
            }
            if (at >= line.Length)
            {
                if (triedAtEnd)
                    break;
                triedAtEnd = true;
            }
            match = regex.Match(line[at..], notBol: true);
        }
        while (match is not null);
        output.Append(line, at, line.Length - at);
        state.PatternSpace = output.ToString();
        return altered;
    }

    /// <summary>do_subst_w_backrefs: `\0`..`\9` and `&amp;` are the match's parts, `\X` is X.</summary>
    private static void AppendReplacement(StringBuilder output, string line, int at, (int Start, int End)[] match, string replacement)
    {
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\' && i + 1 < replacement.Length)
            {
                var next = replacement[++i];
                if (char.IsAsciiDigit(next))
                {
                    var group = next - '0';
                    if (group < match.Length && match[group].Start >= 0)
                        output.Append(line, at + match[group].Start, match[group].End - match[group].Start);
                    continue;
                }
                output.Append(next);
                continue;
            }
            if (c == '&')
                output.Append(line, at + match[0].Start, match[0].End - match[0].Start);
            else
                output.Append(c);
        }
    }

    /// <summary>puts_maybe_newline to the output: a newline first if the previous line lacked one.</summary>
    private void Puts(string text, char lastGets) => PutsMaybeNewline(_out, ref _lastPuts, text, lastGets);

    private void WriteTo(Command command, string text, char lastGets) =>
        PutsMaybeNewline(_writeFiles.Values.First(f => f.Real == command.FileReal).Text, ref command.WriteLastChar, text, lastGets);

    private static void PutsMaybeNewline(StringBuilder output, ref char lastPuts, string text, char lastGets)
    {
        if (lastPuts != '\n' && lastPuts != '\0')
        {
            output.Append('\n');
            lastPuts = '\n';
        }
        output.Append(text);
        if (text.Length > 0)
            lastPuts = 'x';
        if (lastGets != NoEol)
        {
            output.Append(lastGets);
            lastPuts = lastGets;
        }
    }

    private void FlushAppends()
    {
        // Appended text always ends with a newline, whatever the line it follows.
        while (_appends.TryDequeue(out var text))
            Puts(text, '\n');
    }

    /// <summary>get_next_line: appends are flushed, then the next line of the inputs (opened in turn) is read.</summary>
    private string? NextLine(out char gets)
    {
        FlushAppends();
        gets = NoEol;
        for (; _input < _inputs.Count; _input++, _inputText = null)
        {
            if (_inputText is null)
            {
                var operand = _inputs[_input];
                var file = TextFiles.Open(_context, operand);
                if (file.Content is not { } content)
                {
                    if (!file.IsDirectoryOperand)
                    {
                        _context.Fail($"{operand}: {file.Error}");
                        _status = 1;
                    }
                    continue;
                }
                if (content.Contains((byte)0))
                    throw _context.NotEmulated("on input with NUL bytes");
                (_inputText, _inputPosition) = (ShellText.Decode(content), 0);
            }
            if (_inputPosition >= _inputText.Length)
                continue;
            var newline = _inputText.IndexOf('\n', _inputPosition);
            var end = newline >= 0 ? newline : _inputText.Length;
            var line = _inputText[_inputPosition..end];
            gets = newline >= 0 ? '\n' : NoEol;
            _inputPosition = newline >= 0 ? end + 1 : end;
            return line;
        }
        return null;
    }
}
