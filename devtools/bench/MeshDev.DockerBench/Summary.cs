namespace MeshDev.DockerBench;

/// <summary>Median, quartiles and extremes of a series of measurements (ms); NaN entries (not measured) left out.</summary>
internal sealed record Summary(int Count, double Median, double P25, double P75, double Min, double Max)
{
    public static Summary Of(IReadOnlyCollection<double> values)
    {
        var measured = values.Where(v => !double.IsNaN(v)).ToArray();
        return measured.Length == 0
            ? new Summary(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN)
            : new Summary(measured.Length, Stats.Percentile(measured, 50), Stats.Percentile(measured, 25), Stats.Percentile(measured, 75), measured.Min(), measured.Max());
    }
}
