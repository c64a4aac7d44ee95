using System.Diagnostics;
using MeshDev.Catalog;

namespace MeshDev.Telemetry;

/// <summary>
/// The span of one launch and its phases (dependencies, build, spawn, port open, ready) as child spans, each from the end
/// of the previous one to the moment it ends. Phases are made when they end, with their start time given, so nothing
/// is held open and nothing becomes the current Activity of the launch's code.
/// </summary>
internal sealed class LaunchTrace
{
    private readonly ActivitySource _source;
    private readonly TimeProvider _time;
    private readonly Activity? _launch;
    private DateTimeOffset _phaseStart;

    public LaunchTrace(ActivitySource source, ServiceSpec service, TimeProvider time)
    {
        _source = source;
        _time = time;
        _phaseStart = time.GetUtcNow();

        // A child of the request that began the launch (Activity.Current flows into the launch task), but not current
        // itself: timers and continuations made during the launch must not carry it.
        var previous = Activity.Current;
        _launch = source.StartActivity("launch", ActivityKind.Internal, parentContext: default, startTime: _phaseStart);
        Activity.Current = previous;
        if (_launch is { IsAllDataRequested: true })
        {
            _launch.DisplayName = $"launch {service.Name}";
            _launch.SetTag(MeshTelemetry.ServiceAttribute, service.Name);
            _launch.SetTag(MeshTelemetry.RuntimeAttribute, MeshTelemetry.RuntimeOf(service));
        }
    }

    /// <summary>Whether the phases are recorded (the launch span is sampled): only then is the port looked at for "port open".</summary>
    public bool IsRecording => _launch is { IsAllDataRequested: true };

    /// <summary>Starts the next phase now (what happened since the last one is no phase of its own).</summary>
    public void Begin() => _phaseStart = _time.GetUtcNow();

    /// <summary>The current phase, called <paramref name="name"/>, ended now; the next one starts now.</summary>
    public void End(string name)
    {
        var now = _time.GetUtcNow();
        if (IsRecording)
        {
            var previous = Activity.Current;
            var phase = _source.StartActivity(name, ActivityKind.Internal, _launch!.Context, startTime: _phaseStart);
            phase?.SetEndTime(now.UtcDateTime);
            phase?.Stop();
            Activity.Current = previous;
        }

        _phaseStart = now;
    }

    /// <summary>The launch is over: ready (<paramref name="failure"/> null) or failed, saying why.</summary>
    public void Complete(string? failure = null)
    {
        if (_launch is null)
        {
            return;
        }

        if (failure is not null)
        {
            _launch.SetStatus(ActivityStatusCode.Error, failure);
        }

        var previous = Activity.Current;
        _launch.SetEndTime(_time.GetUtcNow().UtcDateTime);
        _launch.Stop();
        Activity.Current = previous;
    }
}
