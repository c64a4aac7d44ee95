using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MeshDev.Cli.Infrastructure;

/// <summary><c>--since</c>, as in <c>docker logs</c>: a duration back from now (<c>10m</c>) or a point in time (<c>2026-11-27T10:00:00Z</c>).</summary>
public static partial class SinceOption
{
    public static Option<DateTimeOffset?> Create() => new("--since")
    {
        HelpName = "DURATION|TIME",
        Description = "Only lines since a duration ago (30s, 10m, 2h, 1d) or a time (2026-11-27T10:00:00Z; local time without an offset)",
        CustomParser = result =>
        {
            var text = result.Tokens.Single().Value;
            if (TryParse(text, TimeProvider.System.GetUtcNow(), out var since))
            {
                return since;
            }

            result.AddError($"--since: '{text}' is neither a duration (30s, 10m, 2h, 1d) nor a time (2026-11-27T10:00:00Z)");
            return null;
        },
    };

    public static bool TryParse(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        if (DurationPattern().Match(text) is { Success: true } match)
        {
            var amount = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            try
            {
                since = now - match.Groups[2].Value switch
                {
                    "ms" => TimeSpan.FromMilliseconds(amount),
                    "s" => TimeSpan.FromSeconds(amount),
                    "m" => TimeSpan.FromMinutes(amount),
                    "h" => TimeSpan.FromHours(amount),
                    _ => TimeSpan.FromDays(amount),
                };
            }
            catch (Exception e) when (e is OverflowException or ArgumentOutOfRangeException)
            {
                // Further back than the calendar goes: every line.
                since = DateTimeOffset.MinValue;
            }

            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal, out since);
    }

    [GeneratedRegex(@"^([0-9]{1,9}(?:\.[0-9]+)?)(ms|s|m|h|d)$")]
    private static partial Regex DurationPattern();
}
