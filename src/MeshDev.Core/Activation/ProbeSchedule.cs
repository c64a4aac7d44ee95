namespace MeshDev.Activation;

/// <summary>
/// How often readiness is probed during a launch. A probe on loopback costs about 0.1 ms of CPU while the time between
/// "ready" and "noticed" is added to every cold request, so probing stays at 5 ms for the first 300 ms (where small
/// services and containers become ready: devtools/bench measured 10–16 ms of the activation overhead going to a
/// schedule that grew from the start), then grows to at most 20 ms for the first seconds; only slow starters are
/// probed less often, up to 250 ms.
/// </summary>
public static class ProbeSchedule
{
    public static readonly TimeSpan First = TimeSpan.FromMilliseconds(5);
    public static readonly TimeSpan FlatPhase = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan FastCap = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan FastPhase = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan SlowCap = TimeSpan.FromMilliseconds(250);
    public const double Growth = 1.25;

    /// <summary>The interval after <paramref name="current"/>, <paramref name="sinceSpawn"/> into the launch.</summary>
    public static TimeSpan Next(TimeSpan current, TimeSpan sinceSpawn)
    {
        if (sinceSpawn < FlatPhase)
        {
            return current;
        }

        var cap = sinceSpawn < FastPhase ? FastCap : SlowCap;
        var grown = TimeSpan.FromTicks((long)(current.Ticks * Growth));
        return grown < cap ? grown : cap;
    }
}
