using System.Globalization;

namespace MeshDev.DockerBench;

/// <summary>Median, quartiles and extremes of a series of measurements (ms).</summary>
internal sealed record Stats(int Count, double Median, double P25, double P75, double Min, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0
            ? new Stats(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Stats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.25), Percentile(sorted, 0.75), sorted[0], sorted[^1]);
    }

    /// <summary>Linear interpolation between the closest ranks (numpy's default); <paramref name="p"/> in [0, 1].</summary>
    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    /// <summary>"12.3 ms" (two decimals below 10 ms), "n/a" for NaN.</summary>
    public static string Ms(double ms) =>
        double.IsNaN(ms) ? "n/a" : ms.ToString(Math.Abs(ms) < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) + " ms";

    /// <summary>Like <see cref="Ms"/> with an explicit sign.</summary>
    public static string Signed(double ms) => double.IsNaN(ms) ? "n/a" : (ms >= 0 ? "+" : "") + Ms(ms);
}
