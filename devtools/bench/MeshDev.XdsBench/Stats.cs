using System.Globalization;

namespace MeshDev.XdsBench;

/// <summary>Median, 90th percentile and maximum of a series of measurements.</summary>
internal sealed record Stats(int Count, double Median, double P90, double Max)
{
    public static Stats Of(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return new Stats(sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.9), sorted[^1]);
    }

    public string Format(string unit, string format = "0.00") =>
        string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)} {unit} | {P90.ToString(format, CultureInfo.InvariantCulture)} {unit} | {Max.ToString(format, CultureInfo.InvariantCulture)} {unit} | {Count}");

    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
