using System.Globalization;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>Durations as Go prints them (<c>10s</c>, <c>1m20s</c>, <c>5m0s</c>, <c>50ms</c>), as in kubelet messages.</summary>
internal static class GoDuration
{
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return $"{duration.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture)}ms";
        }

        var seconds = (duration - TimeSpan.FromMinutes(Math.Floor(duration.TotalMinutes))).TotalSeconds.ToString("0.#########", CultureInfo.InvariantCulture);
        return duration switch
        {
            { TotalHours: >= 1 } => $"{(int)duration.TotalHours}h{duration.Minutes}m{seconds}s",
            { TotalMinutes: >= 1 } => $"{(int)duration.TotalMinutes}m{seconds}s",
            _ => $"{seconds}s",
        };
    }
}
