namespace Pkg2d.Resolve.Tests;

public class ApkVersionTests
{
    /// <summary>Pairs checked against Alpine's apk 2.14.4 (`apk version -t a b`) on which apk-tools 3.0 agrees.</summary>
    private const string ApkAnswers = """
        2.0bc < 10.0
        1.0_pre1 < 1.0_p1
        01 = 1
        1.01 < 1.1
        1.01 > 1.001
        1.0a > 1.0_alpha
        1.0_alpha < 1.0-r1
        1.0 < 1.0bc
        1.0_foo < 1.0
        1.0_foo > 1.0_alpha
        1.0-x < 1.1
        1.0a > 1.0-r5
        10000000000000000 > 1
        1.2.3 = 1.2.3
        1.2.3_alpha < 1.2.3_beta
        1.2.3_beta < 1.2.3_pre
        1.2.3_pre < 1.2.3_rc
        1.2.3_rc < 1.2.3
        1.2.3 < 1.2.3_cvs
        1.2.3_cvs < 1.2.3_svn
        1.2.3_svn < 1.2.3_git
        1.2.3_git < 1.2.3_hg
        1.2.3_hg < 1.2.3_p
        1.2.3_p < 1.2.3_p1
        1.2.3_rc1 < 1.2.3_rc2
        1.2.3_rc10 > 1.2.3_rc9
        1.2.3_alpha1_beta2 < 1.2.3_alpha1
        1.2.3-r9 < 1.2.3-r10
        1.2.3a < 1.2.3b
        1.2.3z < 1.2.4
        1.0.0 > 1.0
        1.0.0 > 1.0-r1
        11.2.1_git20220219-r2 < 11.2.1_git20220219-r10
        11.2.1_git20220219-r2 > 11.2.1-r2
        2.38-r3 < 2.38.1-r0
        0.0.1 < 0.1
        1.0.010 > 1.0.01
        1.0-r01 = 1.0-r1
        1.0_p01 = 1.0_p1
        20191002 > 2019.10.02
        1_alphaxyz < 1
        1.0_p.1 > 1.0
        1.0.1 < 1.06
        1.0.1 < 1.06-r1
        """;

    /// <summary>
    /// Where apk-tools 3.0 (followed here) orders differently from apk 2.14.4, with 3.0's answer; 2.14.4's is the
    /// opposite unless noted. 3.0 compares a part after a dot that starts with a zero as text, so a longer run of zeros
    /// is higher (2.14.4: lower). 3.0 refuses a digit right after a letter, a suffix that is not an exact word, a
    /// revision without number, text after the revision, a missing number (`1..2`, `1.0.`, `.1`, `1.0_`), and lets
    /// numbers wrap at 64 bits (2.14.4: over 17 digits is invalid, with 32-bit wrap before); an invalid part sorts
    /// lower than the end of a version or a valid part (2.14.4: higher).
    /// </summary>
    private const string Apk3Answers = """
        1.000 > 1.00
        1.0a1 < 1.0a
        1.0a1 = 1.0a2
        1.0bc < 1.0b
        1.0-r < 1.0-r0
        1..2 < 1.0.2
        1.0 > 1.0.
        1.0 > 1.0_
        1.0_ < 1.0-r1
        1_rc1a < 1_rc1
        1.0-x < 1.0
        1.0-r1_p < 1.0-r1
        1.0-r1-r2 < 1.0-r1
        .1 = a
        x = y
        99999999999999999999 > 0
        9223372036854775807 > 1
        100000000000000000 > 1
        1000000000000000000 > 999999999999999999
        18446744073709551617 < 2
        8.2.0 < 8.2.001
        8.2.0015 < 8.2.002
        1.0~1234 < 1.0~2345
        1.0~1234-r1 < 1.0~2345-r0
        1.0~1234-r1 > 1.0~1234-r0
        1.0~abc > 1.0
        1.0_p1~12 > 1.0_p1
        """;

    /// <summary>A sample of apk-tools' own test/version.data.</summary>
    private const string ApkToolsTestData = """
        2.34 > 0.1.0_alpha
        23_foo > 4_beta
        0.1.0_alpha = 0.1.0_alpha
        0.1.0_alpha2 > 0.1.0_alpha
        0.1.0_alpha < 2.2.39-r1
        1.0.4-r3 < 1.0.4-r4
        1.1 > 1.1_alpha1
        1.2 < 1.3_alpha
        0.8_beta4 < 4.8-r1
        3.10.18-r1 > 2.3.0b-r1
        2.3.0b-r1 < 2.3.0b-r2
        0.12.3 > 0.12
        0.12 < 0.13_beta1
        1.2.12.1 < 1.2.13
        0.2.0-r1 < 3.1_p16
        3.1_p16 < 3.1_p17
        1.06-r6 < 006
        006 > 1.0.0
        1.2.2-r1 > 1.2.2
        2.59 < 20050718-r1
        3.9.8-r5 > 2.01.01_alpha10
        1.0 > 0.99.3.20040818
        0.9.2 < 5.94-r1
        1.02 < 1.03-r1
        1.12.12-r2 < 2.8.0.6-r1
        4.2.52_p2-r1 < 4.2.52_p4-r2
        1.02.07 < 1.02.10-r1
        2.38 < 20050405
        1.0.0 < 10-r1
        20060720 > 3.0.20060720
        1.4.4-r1 < 2.1.9.200602141850
        2.5.1-r8 < 2.5.1a-r1
        1.3.5-r10 > 1.3.5-r8
        2.0.0_rc3-r1 > 1.5
        3.0.0-r2 < 021109-r3
        021109-r3 < 20060512
        0.9.16-r1 < 3.9_pre20060124
        3.9_pre20060124 > 0.01
        1.1.7 < 6b-r7
        0.10.0-r1 > 0.10.0
        0.10.0 < 0.10.1_rc1
        1.1a < 1.3a
        0.15.1b-r2 > 0.15.1b
        22.7-r1 < 22.7.3-r1
        2.1_pre20 < 2.1_pre26
        2.10.1 > 02.08.01b
        3.81 > 1.6d
        1.2.07.8 < 1.2.12.04
        0.1_pre20060810 < 0.1_pre20060817
        0.59s-r11 < 0.65
        0.20070118 < 0.20070207_rc1
        4.5_p1-r1 > 4.5_p1
        0.9.8c-r1 < 0.9.8d
        2.2.3-r2 < 013
        1.7 < 1.7b
        1.8.5 < 1.8.5_p2
        2.9.11_pre20051101-r3 > 2.9.11_pre20051101
        1.6.8_p12-r1 > 1.6.8_p9-r2
        0.9.28.1 > 0.9.28
        0.9.28.1 < 087-r1
        104-r11 > 104-r9
        1.2.5_rc2 > 0.1
        2.12r-r4 < 2.12r-r5
        7.0.17 < 7.0.174
        0.3.4_pre20061029 < 0.4.0
        1.3-r0 < 1.3.1-r0
        1.3_pre1-r1 < 1.3.2
        1.0_p10-r0 > 1.0_p9-r0
        0.1.0_alpha_pre2 < 0.1.0_alpha
        1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
        """;

    public static TheoryData<string, string, string> Pairs()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var line in (ApkAnswers + "\n" + Apk3Answers + "\n" + ApkToolsTestData).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ');
            data.Add(parts[0], parts[1], parts[2]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void ComparesLikeApk(string a, string relation, string b)
    {
        var expected = relation switch { "<" => -1, ">" => 1, _ => 0 };
        Assert.Equal(expected, ApkVersion.Compare(a, b));
        Assert.Equal(-expected, ApkVersion.Compare(b, a));
    }

    /// <summary>Generated pairs of valid versions where apk-tools 3.0 (followed here) differs from apk 2.14.4: a run of
    /// zeros after a dot is compared as text, so the longer run is higher; 2.14.4 has it lower.</summary>
    private static readonly HashSet<string> Apk3Differs =
    [
        "0.000.05 < 00.0",
        "00.000 > 00.0000",
        "00.05.0 > 00.05.00",
        "01.000 > 01.0000",
        "1.00 > 1.000",
        "1.00.00 > 1.00.000",
        "12.0.0 > 12.0.00",
        "12.00 > 12.000",
        "2.0.00 > 2.0.000",
        "2.9.9.00 > 2.9.9.000",
    ];

    /// <summary>apk 2.14.4's answers on generated pairs, where both versions are valid for apk-tools 3.0 (3.0 orders
    /// invalid versions by other rules, see <see cref="Apk3Answers"/>).</summary>
    [Fact]
    public void ComparesGeneratedPairsLikeApk()
    {
        var lines = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "apk-version-pairs.txt"))
            .Where(l => !l.StartsWith('#') && l.Split(' ') is var p && ApkVersion.IsValid(p[0]) && ApkVersion.IsValid(p[2]))
            .ToList();
        Assert.True(lines.Count > 700);
        var wrong = lines.Where(line =>
        {
            var parts = line.Split(' ');
            return ApkVersion.Compare(parts[0], parts[2]) != parts[1] switch { "<" => -1, ">" => 1, _ => 0 };
        }).ToHashSet();
        Assert.Equal(Apk3Differs, wrong);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.2.3_rc1-r4")]
    [InlineData("2.0a_p3")]
    [InlineData("1.0_alpha_beta1_p")]
    [InlineData("11.2.1_git20220219-r2")]
    [InlineData("01")]
    [InlineData("100000000000000000")]
    [InlineData("0.1_pre2~1234abcd")]
    [InlineData("0.1_git20240101_pre1")]
    [InlineData("1.0~abc-r1")]
    public void ValidLikeApk(string version) => Assert.True(ApkVersion.IsValid(version));

    /// <summary>apk-tools 3.0's validity; 2.14.4 also accepted `1.0-r`, `1..2`, `.1`, `1.0_`, `a`, `1.0-r1-r2`, `1.0a1` and
    /// an empty version, and refused numbers of more than 17 digits and `~`.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("1.0-r1_p")]
    [InlineData("1.0a.1")]
    [InlineData("1.0a1")]
    [InlineData("1_rc1a")]
    [InlineData("1.0bc")]
    [InlineData("1.0-r1a")]
    [InlineData("1.0-x")]
    [InlineData("invalid")]
    [InlineData("1.0_foo")]
    [InlineData("1.0A")]
    [InlineData("1.0_p.1")]
    [InlineData("1.0+1")]
    [InlineData("1.0-r")]
    [InlineData("1..2")]
    [InlineData(".1")]
    [InlineData("1.0_")]
    [InlineData("a")]
    [InlineData("1.0-r1-r2")]
    [InlineData("0.1__alpha")]
    [InlineData("0.1_1_alpha")]
    [InlineData("0.1_pre2~")]
    [InlineData("0.1_pre2~12ABcd")]
    [InlineData("0.1_pre2~1234abcd_pre1")]
    [InlineData("0.1-r2~abcd")]
    public void InvalidLikeApk(string version) => Assert.False(ApkVersion.IsValid(version));

    [Theory]
    [InlineData("1.2.3", "=1.2.3", true)]
    [InlineData("1.2.3-r1", "=1.2.3", false)]
    [InlineData("1.2.3", "<1.2.4", true)]
    [InlineData("1.2.4", "<1.2.4", false)]
    [InlineData("1.2.4", "<=1.2.4", true)]
    [InlineData("1.2.5", ">1.2.4", true)]
    [InlineData("1.2.4_rc1", ">=1.2.4", false)]
    [InlineData("1.2.4_p1", ">=1.2.4", true)]
    [InlineData("1.2.3", "~1.2", true)]
    [InlineData("1.2-r5", "~1.2", true)]
    [InlineData("1.20", "~1.2", false)]
    [InlineData("1.3", "~1.2", false)]
    [InlineData("1.3", ">~1.2", true)]
    [InlineData("1.2.9", ">~1.2", true)]
    [InlineData("1.1", ">~1.2", false)]
    [InlineData("1.2.9", "<~1.2", true)]
    [InlineData("1.3", "<~1.2", false)]
    [InlineData("3.6_pre1", "~3.6", true)]
    [InlineData("3.6.9_post1", "~3.6", true)]
    [InlineData("3.8", "~3.8.1", false)]
    [InlineData("3.8.0.1", "~3.8.1", false)]
    public void MatchesConstraints(string version, string constraint, bool expected)
    {
        var dependency = Dependency.Parse("foo" + constraint);
        Assert.Equal(expected, ApkVersion.Matches(version, dependency.Op, dependency.Version!));
        Assert.Equal(expected, dependency.IsSatisfiedBy(version));
        Assert.Equal(!expected, Dependency.Parse("!foo" + constraint).IsSatisfiedBy(version));
    }
}
