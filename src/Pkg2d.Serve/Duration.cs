using System.Globalization;

namespace Pkg2d.Serve;

/// <summary>Durations written as a whole number with a unit: <c>2s</c>, <c>30m</c>, <c>1h</c>, <c>7d</c>; a bare number is seconds.</summary>
public static class Duration
{
    /// <summary>The longest duration taken: a hundred years, far beyond any refresh or retention, and far from overflowing dates.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(36500);

    public static TimeSpan Parse(string text)
    {
        var value = text.Trim();
        if (value.Length == 0)
            throw new FormatException("an empty text is not a duration such as 0, 90s, 30m, 1h or 7d");
        var unit = char.ToLowerInvariant(value[^1]);
        var seconds = unit switch
        {
            's' => 1L,
            'm' => 60L,
            'h' => 3600L,
            'd' => 86400L,
            >= '0' and <= '9' => 1L,
            _ => 0L,
        };
        if (unit is not (>= '0' and <= '9'))
            value = value[..^1];
        if (seconds == 0 || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            throw new FormatException($"'{text}' is not a duration such as 0, 90s, 30m, 1h or 7d");
        if (number > Longest.TotalSeconds / seconds)
            throw new FormatException($"'{text}' is longer than the longest duration taken, {Longest.TotalDays:F0}d");
        return TimeSpan.FromSeconds(number * seconds);
    }

    /// <summary>The shortest of those forms that says <paramref name="duration"/> exactly (whole seconds).</summary>
    public static string Format(TimeSpan duration)
    {
        var seconds = (long)duration.TotalSeconds;
        return seconds == 0 ? "0"
            : seconds % 86400 == 0 ? $"{seconds / 86400}d"
            : seconds % 3600 == 0 ? $"{seconds / 3600}h"
            : seconds % 60 == 0 ? $"{seconds / 60}m"
            : $"{seconds}s";
    }
}
