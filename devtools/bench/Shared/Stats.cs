using System.Globalization;

namespace MeshDev.Bench.Shared;

/// <summary>Percentiles and the way both reports print milliseconds.</summary>
internal static class Stats
{
    /// <summary>Percentile with linear interpolation between closest ranks (numpy's default); p in [0, 100]; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = p / 100 * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public static double Median(IReadOnlyList<double> values) => Percentile(values, 50);

    /// <summary>"12.3 ms" (two decimals below 10 ms), "n/a" for NaN.</summary>
    public static string Ms(double ms) => double.IsNaN(ms) ? "n/a" : ms.ToString(Math.Abs(ms) < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Like <see cref="Ms"/> with an explicit sign.</summary>
    public static string Signed(double ms) => double.IsNaN(ms) ? "n/a" : (ms >= 0 ? "+" : "") + Ms(ms);

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
