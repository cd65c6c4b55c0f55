using CsCheck;

namespace Pkg2d.Image.Tests.Shell;

/// <summary>
/// Random small scripts (seeded, so every run draws the same ones) made of the constructs where quoting and patterns
/// meet: parameter expansion with patterns, `case`, field splitting with odd IFS values, arithmetic and `test`.
/// </summary>
public static class GeneratedScripts
{
    private static readonly string[] Operators = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "<", "<=", "==", "!=", "&&", "||"];

    private static readonly string[] Comparisons = ["=", "!=", "-lt", "-eq", "<"];

    private static readonly Gen<string> Value = Gen.Char["ab.:-*?/ x1"].Array[0, 8].Select(c => new string(c));

    private static readonly Gen<string> Pattern = Gen.OneOf(
        Gen.Char["ab.*?:/"].Array[0, 5].Select(c => new string(c)),
        Gen.Char["ab.*?[]!-^:"].Array[1, 7].Select(c => new string(c)),
        Gen.Const("[[:alpha:]]*"), Gen.Const("*[!a]"), Gen.Const("\\*"), Gen.Const("'*'"), Gen.Const("\"a\"*"));

    private static readonly Gen<string> Ifs = Gen.OneOf(Gen.Const(" "), Gen.Const(":"), Gen.Const(" :"), Gen.Const(""), Gen.Const("a."), Gen.Const(" \t\n"));

    private static readonly Gen<string> Number = Gen.OneOf(Gen.Int[-20, 300].Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Const("0x1f"), Gen.Const("010"), Gen.Const("n"), Gen.Const("m"));

    private static readonly Gen<string> Arithmetic = Gen.Select(Number, Gen.Int[0, Operators.Length - 1].Select(i => Operators[i]), Number, Gen.Int[0, 3],
        (a, op, b, shape) => shape switch
        {
            0 => $"{a} {op} {b}",
            1 => $"({a} {op} {b}) * 2",
            2 => $"!{a} {op} -{b}",
            _ => $"{a} > {b} ? {a} : {b} {op} 1",
        });

    private static readonly Gen<string> Statement = Gen.OneOf(
        Gen.Select(Value, Pattern, (v, p) => $"v='{v}'; echo \"[${{v#{p}}}]\" \"[${{v##{p}}}]\" \"[${{v%{p}}}]\" \"[${{v%%{p}}}]\""),
        // busybox 1.36 loops forever on `${v//P/R}` when P matches the empty string (`*`): such patterns are left out.
        Gen.Select(Value, Pattern.Where(p => p.Trim('*').Length > 0 && !p.Contains('/')), (v, p) => $"v='{v}'; echo \"[${{v/{p}/R}}]\" \"[${{v//{p}/R}}]\""),
        Gen.Select(Value, Pattern, (v, p) => $"v='{v}'; case \"$v\" in {p}) echo match;; *) echo other;; esac"),
        Gen.Select(Value, Pattern, (v, p) => $"v='{v}'; case $v in {p}|x) echo match;; esac"),
        Gen.Select(Value, Ifs, (v, ifs) => $"IFS='{ifs}'; v='{v}'; printf '<%s>' $v \"$v\" ${{v}}x; echo; unset IFS"),
        Gen.Select(Value, Value, (a, b) => $"set -- '{a}' '{b}'; printf '<%s>' $* \"$*\" $@; echo \" $#\""),
        Arithmetic.Select(e => $"n=7; m=-3; echo $(({e})); echo $?"),
        Gen.Select(Value, Value, Gen.Int[0, Comparisons.Length - 1].Select(i => Comparisons[i]),
            (a, b, op) => $"[ '{a}' {op} '{b}' ]; echo $?; [ -n '{a}' -a -z '{b}' ]; echo $?"));

    /// <summary>The scripts: each a few statements, one per line.</summary>
    public static IReadOnlyList<string> Draw(int count, ulong seed)
    {
        var pcg = new PCG(1, seed);
        var script = Statement.Array[2, 5].Select(lines => string.Join('\n', lines) + "\n");
        return [.. Enumerable.Range(0, count).Select(_ => script.Generate(pcg, null, out Size _))];
    }
}
