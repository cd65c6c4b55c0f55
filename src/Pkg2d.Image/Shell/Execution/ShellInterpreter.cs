using System.Runtime.CompilerServices;

namespace Pkg2d.Image.Shell;

/// <summary>
/// Runs a parsed script as busybox ash would, over a simulated root: control flow, `set -e`, subshells and pipes
/// here; words in <c>ShellInterpreter.Expansion.cs</c>; simple commands, lookup and redirections in
/// <c>ShellInterpreter.Commands.cs</c>; builtins in <c>ShellInterpreter.Builtins.cs</c>. Commands run as
/// emulated busybox applets (<see cref="BusyboxApplets"/>); reaching anything else makes the script pending.
/// </summary>
public sealed partial class ShellInterpreter
{
    private readonly ShellHost _host;
    private readonly ShellState _state;
    private int _line;

    // Where `set -e` does not apply: conditions, the left of && and ||, negated pipelines (and all they call).
    private int _conditions;
    private int _functions;
    private int _loops;

    /// <summary>Calls deeper than this (functions, eval, `.`, scripts run by sh) are not emulated.</summary>
    private const int CallLimit = 1000;

    // Calls running (functions, eval, `.`, scripts run by sh), counted on into subshells and pipelines: each call is a
    // recursion of the interpreter, so an endless one must end at CallLimit.
    private int _calls;

    private ShellInterpreter(ShellHost host, ShellState state)
    {
        _host = host;
        _state = state;
    }

    /// <summary>
    /// Runs <paramref name="script"/>. Its output goes to <paramref name="output"/> and <paramref name="error"/>
    /// (apk's log; discarded when null). A script that reaches something not emulated ends at once, pending.
    /// </summary>
    public static ShellResult Run(ParsedShellScript script, ShellHost host, ShellInvocation invocation,
        ShellOutput? output = null, ShellOutput? error = null, ShellInput? input = null)
    {
        var shell = new ShellInterpreter(host, ShellState.Start(invocation, input ?? ShellInput.Empty, output ?? ShellOutput.Null, error ?? ShellOutput.Null));
        host.Steps = 0;
        host.Expanded = 0;
        try
        {
            return shell.RunScript(script);
        }
        finally
        {
            host.Files.Flush();
        }
    }

    private ShellResult RunScript(ParsedShellScript script)
    {
        try
        {
            int status;
            try
            {
                foreach (var line in script.Lines)
                    Execute(line);
                status = _state.LastStatus;
                if (script.Error is { } syntax)
                {
                    _line = syntax.Line;
                    ThrowIfNotEmulated(syntax);
                    Diagnostic($"{_state.ScriptName}: line {syntax.Line}: {syntax.Message}");
                    status = 2;
                }
            }
            catch (ShellExit exit)
            {
                status = exit.Status;
            }
            catch (FunctionReturn returned)
            {
                // `return` outside a function ends the script.
                status = returned.Status;
            }
            return new ShellResult(RunExitTrap(status), null, _line);
        }
        catch (NotEmulatedException pending)
        {
            return new ShellResult(-1, pending.Message, _line);
        }
    }

    /// <summary>`exit`, a failure under `set -e`, or a fatal error: unwinds to the (sub)shell that ends.</summary>
    private sealed class ShellExit(int status) : Exception
    {
        public int Status { get; } = status;
    }

    private sealed class FunctionReturn(int status) : Exception
    {
        public int Status { get; } = status;
    }

    private sealed class LoopControl(bool isBreak, int levels) : Exception
    {
        public bool IsBreak { get; } = isBreak;
        public int Levels { get; } = levels;
    }

    private ShellInterpreter Subshell() => new(_host, _state.Clone()) { _line = _line, _conditions = _conditions, _calls = _calls };

    /// <summary>Script text the parser does not take (nesting beyond its limit) makes the script pending.</summary>
    private static void ThrowIfNotEmulated(ShellSyntaxException error)
    {
        if (error.NotEmulated)
            throw new NotEmulatedException(error.Message);
    }

    /// <summary>Counts a nested call (function, eval, `.`) against <see cref="CallLimit"/>; the caller counts it down when it returns.</summary>
    private void EnterCall() => _calls = CallDepth();

    /// <summary>The call depth inside one more call.</summary>
    private int CallDepth() => _calls < CallLimit
        ? _calls + 1
        : throw new NotEmulatedException($"calls (functions, eval, ., sh) nest more than {CallLimit} deep, not emulated");

    /// <summary>Runs a command in a copy of this shell; `exit` ends only the copy.</summary>
    private int RunInSubshell(Command command, Action<ShellInterpreter>? setUp = null)
    {
        var subshell = Subshell();
        setUp?.Invoke(subshell);
        try
        {
            return subshell.Execute(command);
        }
        catch (ShellExit exit)
        {
            return exit.Status;
        }
        catch (FunctionReturn returned)
        {
            return returned.Status;
        }
        catch (LoopControl)
        {
            return subshell._state.LastStatus;
        }
    }

    private int Execute(Command command)
    {
        if (++_host.Steps > ShellHost.StepLimit)
            throw new NotEmulatedException($"the script runs more than {ShellHost.StepLimit} commands");
        // The nesting and call limits keep the recursion far from this; it is the last guard against a stack overflow.
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new NotEmulatedException("the script nests deeper than the emulator's stack allows, not emulated");
        _line = command.Line;
        var status = command switch
        {
            CommandList list => ExecuteList(list),
            AndOrList andOr => ExecuteAndOr(andOr),
            Pipeline pipeline => ExecutePipeline(pipeline, errExitApplies: true),
            SimpleCommand simple => ExecuteSimple(simple),
            FunctionDefinition function => Define(function),
            // A subshell applies its redirections in the child, which exits 2 when one fails.
            Subshell subshell => WithRedirections(subshell.Redirections, () => ExecuteCompound(subshell), failure: 2),
            CompoundCommand compound => WithRedirections(compound.Redirections, () => ExecuteCompound(compound)),
            _ => throw new ArgumentOutOfRangeException(nameof(command), command, null),
        };
        _state.LastStatus = status;
        return status;
    }

    private int ExecuteList(CommandList list)
    {
        var status = 0;
        foreach (var item in list.Items)
            status = Execute(item);
        return status;
    }

    private int ExecuteAndOr(AndOrList list)
    {
        if (list.Background)
            throw new NotEmulatedException("a background job ('&') is not emulated");
        var status = ExecutePipeline(list.First, errExitApplies: list.Rest.Count == 0);
        for (var i = 0; i < list.Rest.Count; i++)
        {
            var (and, pipeline) = list.Rest[i];
            if (and == (status == 0))
                status = ExecutePipeline(pipeline, errExitApplies: i == list.Rest.Count - 1);
        }
        return status;
    }

    private int ExecutePipeline(Pipeline pipeline, bool errExitApplies)
    {
        var conditional = pipeline.Negated || !errExitApplies;
        if (conditional)
            _conditions++;
        int status;
        try
        {
            status = pipeline.Commands.Count == 1 ? Execute(pipeline.Commands[0]) : ExecutePipe(pipeline.Commands);
        }
        finally
        {
            if (conditional)
                _conditions--;
        }
        if (pipeline.Negated)
            status = status == 0 ? 1 : 0;
        _state.LastStatus = status;
        if (!conditional && status != 0 && _state.ErrExit && _conditions == 0)
            throw new ShellExit(status);
        return status;
    }

    /// <summary>`a | b | c`: each command in a subshell, one after the other, each reading what the one before wrote.</summary>
    private int ExecutePipe(IReadOnlyList<Command> commands)
    {
        var status = 0;
        BufferOutput? previous = null;
        for (var i = 0; i < commands.Count; i++)
        {
            var input = previous;
            var pipe = i < commands.Count - 1 ? new BufferOutput() : null;
            status = RunInSubshell(commands[i], shell =>
            {
                if (input is not null)
                    shell._state.Descriptors[0] = new Descriptor(new ShellInput(input.ToArray()), null);
                if (pipe is not null)
                    shell._state.Descriptors[1] = new Descriptor(null, pipe);
            });
            previous = pipe;
        }
        return status;
    }

    private int Define(FunctionDefinition function)
    {
        _state.Functions[function.Name] = function;
        return 0;
    }

    private int ExecuteCompound(CompoundCommand command) => command switch
    {
        BraceGroup group => ExecuteList(group.Body),
        Subshell subshell => RunInSubshell(subshell.Body),
        IfCommand @if => ExecuteIf(@if),
        LoopCommand loop => ExecuteLoop(loop),
        ForCommand @for => ExecuteFor(@for),
        CaseCommand @case => ExecuteCase(@case),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, null),
    };

    private int Condition(CommandList condition)
    {
        _conditions++;
        try
        {
            return ExecuteList(condition);
        }
        finally
        {
            _conditions--;
        }
    }

    private int ExecuteIf(IfCommand command)
    {
        foreach (var (condition, body) in command.Branches)
        {
            if (Condition(condition) == 0)
                return ExecuteList(body);
        }
        return command.Else is { } otherwise ? ExecuteList(otherwise) : 0;
    }

    private int ExecuteLoop(LoopCommand loop)
    {
        var status = 0;
        _loops++;
        try
        {
            while ((Condition(loop.Condition) == 0) != loop.Until)
            {
                if (RunBody(loop.Body, ref status))
                    break;
            }
        }
        finally
        {
            _loops--;
        }
        return status;
    }

    private int ExecuteFor(ForCommand loop)
    {
        IReadOnlyList<string> values = loop.Values is null ? _state.Positional : ExpandFields(loop.Values);
        var status = 0;
        _loops++;
        try
        {
            foreach (var value in values)
            {
                Assign(loop.Variable, value);
                if (RunBody(loop.Body, ref status))
                    break;
            }
        }
        finally
        {
            _loops--;
        }
        return status;
    }

    /// <summary>Runs a loop body; true when `break` ends the loop. `break N`/`continue N` beyond this loop go on unwinding.</summary>
    private bool RunBody(CommandList body, ref int status)
    {
        if (++_host.Steps > ShellHost.StepLimit)
            throw new NotEmulatedException($"the script runs more than {ShellHost.StepLimit} commands");
        try
        {
            status = ExecuteList(body);
            return false;
        }
        catch (LoopControl control)
        {
            status = 0;
            if (control.Levels > 1)
                throw new LoopControl(control.IsBreak, control.Levels - 1);
            return control.IsBreak;
        }
    }

    private int ExecuteCase(CaseCommand command)
    {
        var subject = ExpandText(command.Subject);
        foreach (var item in command.Items)
        {
            if (item.Patterns.Any(p => ShellPattern.IsMatch(ExpandPattern(p), subject)))
                return item.Body.Items.Count == 0 ? 0 : ExecuteList(item.Body);
        }
        return 0;
    }

    private int CallFunction(FunctionDefinition function, IReadOnlyList<string> arguments)
    {
        EnterCall();
        var positional = _state.Positional;
        _state.Positional = [.. arguments];
        _state.Locals.Add(new Dictionary<string, string?>(StringComparer.Ordinal));
        _functions++;
        try
        {
            return Execute(function.Body);
        }
        catch (FunctionReturn returned)
        {
            return returned.Status;
        }
        finally
        {
            _functions--;
            _calls--;
            foreach (var (name, value) in _state.Locals[^1])
            {
                if (value is null)
                    _state.Variables.Remove(name);
                else
                    _state.Variables[name] = value;
            }
            _state.Locals.RemoveAt(_state.Locals.Count - 1);
            _state.Positional = positional;
        }
    }

    /// <summary>Writes ash's error line (`sh: MESSAGE`) to standard error.</summary>
    private void Diagnostic(string message) => _state.Output(2).Write($"sh: {message}\n");
}
