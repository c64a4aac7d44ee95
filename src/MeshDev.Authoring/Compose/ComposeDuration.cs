using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Authoring.Compose;

/// <summary>
/// Compose durations are Go's (<c>1m30s</c>, <c>1.5s</c>, <c>500ms</c>); manifest durations are one number and one unit
/// (<c>90s</c>, <c>1500ms</c>). Converts the first into the second.
/// </summary>
internal static partial class ComposeDuration
{
    // Far beyond any sensible duration (about 114 years), and far from overflowing a long of milliseconds.
    private const decimal MaxMilliseconds = 3_600_000_000_000m;

    /// <summary>The manifest form of <paramref name="text"/> in the largest unit that holds it exactly (rounded to milliseconds); null when it is not a duration.</summary>
    public static string? ToManifest(string text)
    {
        var match = GoDuration().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var milliseconds = 0m;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var unit = UnitPart().Match(part.Value);
            if (!decimal.TryParse(part.Value[..unit.Index], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                || amount > MaxMilliseconds * 1_000_000m)
            {
                return null;
            }

            milliseconds += amount * unit.Value switch
            {
                "h" => 3_600_000m,
                "m" => 60_000m,
                "s" => 1_000m,
                "ms" => 1m,
                "us" or "µs" => 0.001m,
                _ => 0.000001m,
            };
            if (milliseconds > MaxMilliseconds)
            {
                return null;
            }
        }

        var whole = (long)Math.Round(milliseconds, MidpointRounding.AwayFromZero);
        return whole switch
        {
            0 => "0s",
            _ when whole % 3_600_000 == 0 => $"{whole / 3_600_000}h",
            _ when whole % 60_000 == 0 => $"{whole / 60_000}m",
            _ when whole % 1_000 == 0 => $"{whole / 1_000}s",
            _ => $"{whole}ms",
        };
    }

    [GeneratedRegex(@"^(?<part>([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(ns|us|µs|ms|s|m|h)$")]
    private static partial Regex UnitPart();
}
