namespace MeshDev.Activation;

/// <summary>Exponential backoff after failed launches: 1 s, 2 s, 4 s … capped.</summary>
public static class Backoff
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    /// <param name="consecutiveFailures">1 for the first failure.</param>
    public static TimeSpan After(int consecutiveFailures)
    {
        var exponent = Math.Clamp(consecutiveFailures - 1, 0, 16);
        var delay = TimeSpan.FromTicks(First.Ticks << exponent);
        return delay < Cap ? delay : Cap;
    }
}
