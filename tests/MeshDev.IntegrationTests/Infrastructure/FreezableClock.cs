namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// The system clock, except that the wall-clock reading (<see cref="GetUtcNow"/>) can be frozen. Timers, delays and
/// elapsed-time stamps stay real. A mesh compares wall-clock readings only for backoff ("retry after"), so a frozen
/// reading makes "still backing off" a fact instead of a race against a one-second backoff.
/// </summary>
internal sealed class FreezableClock : TimeProvider
{
    private long _frozenAtTicks; // UTC ticks; 0 while the clock runs

    public override DateTimeOffset GetUtcNow() => Interlocked.Read(ref _frozenAtTicks) is var ticks and not 0
        ? new DateTimeOffset(ticks, TimeSpan.Zero)
        : System.GetUtcNow();

    public void Freeze() => Interlocked.Exchange(ref _frozenAtTicks, System.GetUtcNow().UtcTicks);
}
