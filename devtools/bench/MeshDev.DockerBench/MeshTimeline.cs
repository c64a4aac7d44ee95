using System.Diagnostics;

namespace MeshDev.DockerBench;

/// <summary>What happens during one activation through the mesh, in the order it normally happens.</summary>
internal enum Milestone
{
    /// <summary>The activator's launch asks the runtime to prepare (ServiceActivator.LaunchAsync → DockerRuntime.PrepareAsync).</summary>
    LaunchBegins,

    /// <summary>PrepareAsync returned: the engine was pinged (first launch only) and the image inspected (pull: never).</summary>
    ImageChecked,

    /// <summary>DockerRuntime.StartAsync was called (a free port was picked in between).</summary>
    StartCalled,

    /// <summary>The runtime's "created container" log line: the mesh's containers were listed and the new one created.</summary>
    Created,

    /// <summary>StartAsync returned: attached to the container's output and started it.</summary>
    Started,

    /// <summary>The first readiness probe (TCP connect) was sent.</summary>
    FirstProbe,

    /// <summary>The container's "container-service listening on" line arrived through the attach stream.</summary>
    Listening,

    /// <summary>A probe passed; the activator marks the service ready and releases the held request.</summary>
    ProbePassed,
}

/// <summary>
/// The milestones of one mesh round as Stopwatch timestamps, filled in from the mesh's hooks (the runtime wrapper, the
/// service log) on whatever thread they run; the first occurrence of each counts.
/// </summary>
internal sealed class MeshTimeline
{
    private readonly long[] _at = new long[Enum.GetValues<Milestone>().Length];
    private int _probes;

    public long Sent { get; } = Stopwatch.GetTimestamp();

    public int Probes => Volatile.Read(ref _probes);

    public void Mark(Milestone milestone) => Interlocked.CompareExchange(ref _at[(int)milestone], Stopwatch.GetTimestamp(), 0);

    public void CountProbe() => Interlocked.Increment(ref _probes);

    public bool Has(Milestone milestone) => Volatile.Read(ref _at[(int)milestone]) != 0;

    /// <summary>Milliseconds from sending the request to <paramref name="milestone"/>; NaN when it was not seen.</summary>
    public double Ms(Milestone milestone) => Volatile.Read(ref _at[(int)milestone]) is var at and not 0
        ? Stopwatch.GetElapsedTime(Sent, at).TotalMilliseconds
        : double.NaN;
}
