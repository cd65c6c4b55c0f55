using Pkg2d.Image.Definition;

namespace Pkg2d.Image.Tests.Definition;

public class SettingSyntaxTests
{
    private const string Field = "--x";

    [Theory]
    [InlineData("wget", new[] { "wget" })]
    [InlineData("  wget ", new[] { "wget" })]
    [InlineData("[\"a\",\"b\"]", new[] { "a", "b" })]
    [InlineData(" [\"wget\", \"-q\", \"a b\"] ", new[] { "wget", "-q", "a b" })]
    [InlineData("[]", new string[0])]
    public void Command_accepts_one_word_or_a_JSON_array_of_strings(string text, string[] expected) =>
        Assert.Equal(expected, SettingSyntax.Command(text, Field));

    [Theory]
    [InlineData("a b", "--x 'a b' is neither a JSON array of strings (e.g. [\"wget\",\"-q\"]) nor one word")]
    [InlineData("", "--x '' is neither a JSON array of strings (e.g. [\"wget\",\"-q\"]) nor one word")]
    [InlineData("[\"a\", 1]", "--x '[\"a\", 1]' is not a JSON array of strings, e.g. [\"wget\",\"-q\"]")]
    [InlineData("[\"a\"", "--x '[\"a\"' is not a JSON array of strings, e.g. [\"wget\",\"-q\"]")]
    [InlineData("[\"a\"] x", "--x '[\"a\"] x' is not a JSON array of strings, e.g. [\"wget\",\"-q\"]")]
    public void Command_refuses_anything_else(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => SettingSyntax.Command(text, Field)).Message);

    [Theory]
    [InlineData("A=1", "A", "1")]
    [InlineData("A=", "A", "")]
    [InlineData("A=b=c", "A", "b=c")]
    [InlineData("A= spaced value ", "A", " spaced value ")]
    public void Pair_splits_at_the_first_equals(string text, string key, string value) =>
        Assert.Equal(new KeyValuePair<string, string>(key, value), SettingSyntax.Pair(text, Field));

    [Theory]
    [InlineData("A", "--x 'A' is not KEY=VALUE")]
    [InlineData("=1", "--x '=1' is not KEY=VALUE")]
    [InlineData("A B=1", "--x 'A B=1': the key must be a word without '=' or white space")]
    public void Pair_needs_a_key_that_is_a_word(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => SettingSyntax.Pair(text, Field)).Message);

    [Fact]
    public void Pair_of_a_key_and_value_refuses_an_equals_in_the_key() =>
        Assert.Equal("--x 'a=b=c': the key must be a word without '=' or white space",
            Assert.Throws<ArgumentException>(() => SettingSyntax.Pair("a=b", "c", Field)).Message);

    [Theory]
    [InlineData("80", "80/tcp")]
    [InlineData("53/udp", "53/udp")]
    [InlineData("8080/TCP", "8080/tcp")]
    [InlineData("1", "1/tcp")]
    [InlineData("65535/udp", "65535/udp")]
    public void Port_defaults_to_tcp(string text, string expected) => Assert.Equal(expected, SettingSyntax.Port(text, Field));

    [Theory]
    [InlineData("0", "--x '0': the port must be a number from 1 to 65535")]
    [InlineData("65536", "--x '65536': the port must be a number from 1 to 65535")]
    [InlineData("http", "--x 'http': the port must be a number from 1 to 65535")]
    [InlineData("-1", "--x '-1': the port must be a number from 1 to 65535")]
    [InlineData("80/sctp", "--x '80/sctp': the protocol must be tcp or udp")]
    [InlineData("80/", "--x '80/': the protocol must be tcp or udp")]
    public void Port_refuses_other_numbers_and_protocols(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => SettingSyntax.Port(text, Field)).Message);

    [Theory]
    [InlineData("SIGTERM", "SIGTERM")]
    [InlineData("int", "SIGINT")]
    [InlineData("sigquit", "SIGQUIT")]
    [InlineData("SIGRTMIN+3", "SIGRTMIN+3")]
    [InlineData("rtmax-1", "SIGRTMAX-1")]
    [InlineData("15", "15")]
    [InlineData("64", "64")]
    public void Signal_takes_names_and_numbers(string text, string expected) => Assert.Equal(expected, SettingSyntax.Signal(text, Field));

    [Theory]
    [InlineData("0", "--x '0': a signal number is 1 to 64")]
    [InlineData("65", "--x '65': a signal number is 1 to 64")]
    [InlineData("SIGFOO", "--x 'SIGFOO' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    [InlineData("SIGINT+1", "--x 'SIGINT+1' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    [InlineData("SIGRTMIN+31", "--x 'SIGRTMIN+31' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    [InlineData("SIGRTMIN+", "--x 'SIGRTMIN+' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    [InlineData("", "--x '' is not a signal (e.g. SIGTERM, SIGINT, 15)")]
    public void Signal_refuses_unknown_ones(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => SettingSyntax.Signal(text, Field)).Message);

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/var/lib/app", "/var/lib/app")]
    [InlineData("//var//lib/app/", "/var/lib/app")]
    public void AbsolutePath_is_written_plainly(string text, string expected) => Assert.Equal(expected, SettingSyntax.AbsolutePath(text, Field));

    [Theory]
    [InlineData("var/lib", "--x 'var/lib' is not an absolute path")]
    [InlineData("", "--x '' is not an absolute path")]
    [InlineData("/var/../etc", "--x '/var/../etc': '.' and '..' are not allowed in the path")]
    [InlineData("/./x", "--x '/./x': '.' and '..' are not allowed in the path")]
    public void AbsolutePath_refuses_relative_and_dotted_paths(string text, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => SettingSyntax.AbsolutePath(text, Field)).Message);

    [Theory]
    [InlineData("chrony")]
    [InlineData("chrony:chrony")]
    [InlineData("1000:1000")]
    [InlineData("app:100")]
    public void User_takes_names_or_numbers(string text) => Assert.Equal(text, SettingSyntax.User(text, Field));

    [Theory]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("a:")]
    [InlineData(":a")]
    [InlineData("a:b:c")]
    public void User_refuses_empty_parts_and_spaces(string text) =>
        Assert.Equal($"--x '{text}' is not NAME[:GROUP] or UID[:GID]", Assert.Throws<ArgumentException>(() => SettingSyntax.User(text, Field)).Message);

    [Theory]
    [InlineData("0755", 0b111_101_101)]
    [InlineData("755", 0b111_101_101)]
    [InlineData("2775", 0b010_111_111_101)]
    [InlineData("0", 0)]
    [InlineData("07777", 0b111_111_111_111)]
    public void Mode_is_octal(string text, int expected) => Assert.Equal(expected, SettingSyntax.Mode(text, Field));

    [Theory]
    [InlineData("0999")]
    [InlineData("")]
    [InlineData("rwx")]
    [InlineData("17777")]
    [InlineData("000755")]
    public void Mode_refuses_other_text(string text) =>
        Assert.Equal($"--x '{text}' is not an octal mode such as 0755", Assert.Throws<ArgumentException>(() => SettingSyntax.Mode(text, Field)).Message);

    [Theory]
    [InlineData("app")]
    [InlineData("app-user_1")]
    [InlineData("1000")]
    public void AccountName_takes_busybox_names(string text) => Assert.Equal(text, SettingSyntax.AccountName(text, Field));

    [Theory]
    [InlineData("")]
    [InlineData("-app")]
    [InlineData("a:b")]
    [InlineData("a b")]
    [InlineData("a/b")]
    public void AccountName_refuses_what_busybox_would(string text) =>
        Assert.Equal($"--x '{text}' is not a valid account name", Assert.Throws<ArgumentException>(() => SettingSyntax.AccountName(text, Field)).Message);

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1000", 1000)]
    [InlineData("2147483647", int.MaxValue)]
    public void Id_is_a_number(string text, int expected) => Assert.Equal(expected, SettingSyntax.Id(text, Field));

    [Theory]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("")]
    [InlineData("2147483648")]
    public void Id_refuses_other_text(string text) =>
        Assert.Equal($"--x '{text}' is not a number of 0 or more", Assert.Throws<ArgumentException>(() => SettingSyntax.Id(text, Field)).Message);

    [Theory]
    [InlineData("1000", true)]
    [InlineData("0", true)]
    [InlineData("", false)]
    [InlineData("app", false)]
    [InlineData("-1", false)]
    public void IsNumber_means_plain_digits(string text, bool expected) => Assert.Equal(expected, SettingSyntax.IsNumber(text));
}
