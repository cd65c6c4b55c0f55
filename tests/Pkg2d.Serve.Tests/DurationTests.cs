namespace Pkg2d.Serve.Tests;

/// <summary>Durations as --refresh and --retain take them: a whole number with an optional unit s, m, h or d.</summary>
public sealed class DurationTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("90", 90L)]
    [InlineData("90s", 90L)]
    [InlineData("30m", 1_800L)]
    [InlineData("1h", 3_600L)]
    [InlineData("7d", 604_800L)]
    [InlineData("0d", 0L)]
    [InlineData("007m", 420L)]
    [InlineData("36h", 129_600L)]
    [InlineData("1000000s", 1_000_000L)]
    public void AWholeNumberWithAnOptionalUnitIsThatManySeconds(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Duration.Parse(text));

    [Theory]
    [InlineData("2S", 2L)]
    [InlineData("30M", 1_800L)]
    [InlineData("1H", 3_600L)]
    [InlineData("7D", 604_800L)]
    public void TheUnitIsCaseInsensitive(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Duration.Parse(text));

    [Theory]
    [InlineData(" 1h", 3_600L)]
    [InlineData("30m ", 1_800L)]
    [InlineData("\t90\n", 90L)]
    [InlineData("  7d  ", 604_800L)]
    public void SurroundingWhitespaceIsTrimmed(string text, long seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Duration.Parse(text));

    [Theory]
    [InlineData("h")]
    [InlineData("s")]
    [InlineData("1.5h")]
    [InlineData("1,5h")]
    [InlineData("-1s")]
    [InlineData("-1")]
    [InlineData("+1s")]
    [InlineData("1w")]
    [InlineData("1y")]
    [InlineData("1ms")]
    [InlineData("1hh")]
    [InlineData("1 h")]
    [InlineData("h1")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("one hour")]
    [InlineData("1h30m")]
    public void AnythingElseIsAFormatErrorNamingTheText(string text)
    {
        var error = Assert.Throws<FormatException>(() => Duration.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void AnEmptyTextIsAFormatError(string text) =>
        Assert.Throws<FormatException>(() => Duration.Parse(text));

    [Theory]
    [InlineData("99999999999999999999")] // more than a long holds
    [InlineData("9223372036854775807s")]
    [InlineData("922337203685s")] // all of TimeSpan.MaxValue
    [InlineData("153722867280912m")]
    [InlineData("2562047788015h")]
    [InlineData("10675199d")] // TimeSpan.MaxValue.Days
    [InlineData("106751990d")]
    [InlineData("36501d")] // a day beyond the longest taken
    [InlineData("3153600001s")]
    public void AnAbsurdlyLargeDurationIsAFormatErrorNotAnOverflow(string text)
    {
        var error = Assert.Throws<FormatException>(() => Duration.Parse(text));
        Assert.Contains($"'{text}'", error.Message);
    }

    [Fact]
    public void ALongButSaneDurationIsAccepted()
    {
        Assert.Equal(TimeSpan.FromDays(3_650), Duration.Parse("3650d"));
        Assert.Equal(TimeSpan.FromHours(87_600), Duration.Parse("87600h"));
        Assert.Equal(Duration.Longest, Duration.Parse("36500d"));
        // The longest is far from overflowing the dates it is added to.
        Assert.True(DateTimeOffset.UtcNow + Duration.Longest < DateTimeOffset.MaxValue - Duration.Longest);
    }

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(1L, "1s")]
    [InlineData(59L, "59s")]
    [InlineData(60L, "1m")]
    [InlineData(90L, "90s")]
    [InlineData(120L, "2m")]
    [InlineData(1_800L, "30m")]
    [InlineData(3_540L, "59m")]
    [InlineData(3_600L, "1h")]
    [InlineData(3_660L, "61m")]
    [InlineData(3_601L, "3601s")]
    [InlineData(5_400L, "90m")]
    [InlineData(86_400L, "1d")]
    [InlineData(90_000L, "25h")]
    [InlineData(86_460L, "1441m")]
    [InlineData(604_800L, "7d")]
    [InlineData(129_600L, "36h")]
    public void FormatGivesTheShortestExactForm(long seconds, string text) =>
        Assert.Equal(text, Duration.Format(TimeSpan.FromSeconds(seconds)));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(61L)]
    [InlineData(3_600L)]
    [InlineData(3_601L)]
    [InlineData(86_399L)]
    [InlineData(86_400L)]
    [InlineData(172_800L)]
    [InlineData(31_536_000L)]
    [InlineData(315_360_000L)]
    public void FormattedDurationsParseBackToThemselves(long seconds)
    {
        var duration = TimeSpan.FromSeconds(seconds);
        Assert.Equal(duration, Duration.Parse(Duration.Format(duration)));
    }

    [Theory]
    [InlineData("60s")]
    [InlineData("120m")]
    [InlineData("48h")]
    [InlineData("24h")]
    [InlineData("14d")]
    [InlineData("1440m")]
    public void ParsedDurationsFormatToTheShortestTextThatParsesToTheSameDuration(string text)
    {
        var duration = Duration.Parse(text);
        var formatted = Duration.Format(duration);
        Assert.Equal(duration, Duration.Parse(formatted));
        Assert.True(formatted.Length <= text.Trim().Length, $"'{formatted}' is longer than '{text}'");
    }
}
