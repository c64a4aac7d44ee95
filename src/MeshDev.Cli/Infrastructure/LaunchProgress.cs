using System.Globalization;
using MeshDev.Activation;
using MeshDev.Runtime;

namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// Live launch progress for <c>meshdev up</c>: which services are starting, for how long, and what they are doing
/// (pulling an image, building a project) and for how long: <c>orders: building (dotnet build) 12.3 s</c>. On a terminal
/// it is a status line under the output, redrawn several times a second; otherwise a line per slow service every
/// <see cref="PlainInterval"/>. A failed launch ends
/// with one line: the cause, the service's last words, and where to read the rest.
/// </summary>
public sealed class LaunchProgress : IDisposable
{
    public static readonly TimeSpan LiveInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(5);

    private const string MeshNote = "meshdev: ";

    // The note of a build ("building (dotnet build)"); "built …" and "build failed …" end it.
    private const string BuildingPrefix = "building";

    private readonly ForegroundOutput _output;
    private readonly TimeProvider _time;
    private readonly bool _live;
    private readonly bool _echoServiceOutput;
    private readonly Lock _gate = new();
    // The launches under way, and the builds no launch waits for yet (the prebuild): what the progress shows.
    private readonly Dictionary<string, Launch> _active = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _lastOutput = new(StringComparer.Ordinal);
    private readonly ITimer _timer;

    /// <param name="live">Redraw a status line (a terminal) rather than print progress lines.</param>
    /// <param name="echoServiceOutput">
    /// Print the services' lines (<c>name |</c>); a detached daemon does not: they are in the services' own (rotated) logs,
    /// and a copy in daemon.log would grow without bound.
    /// </param>
    public LaunchProgress(ForegroundOutput output, TimeProvider time, bool live, bool echoServiceOutput = true)
    {
        _output = output;
        _echoServiceOutput = echoServiceOutput;
        _time = time;
        _live = live;
        var interval = live ? LiveInterval : PlainInterval;
        _timer = time.CreateTimer(_ => Tick(), null, interval, interval);
    }

    public void OnServiceLine(string service, string line)
    {
        lock (_gate)
        {
            if (line.StartsWith(MeshNote, StringComparison.Ordinal))
            {
                var note = line[MeshNote.Length..];
                if (_active.TryGetValue(service, out var launch))
                {
                    if (launch.Starting || note.StartsWith(BuildingPrefix, StringComparison.Ordinal))
                    {
                        launch.Say(note, _time.GetTimestamp());
                    }
                    else
                    {
                        // A build no launch waited for is over ("built …", "build failed …").
                        _active.Remove(service);
                    }
                }
                else if (note.StartsWith(BuildingPrefix, StringComparison.Ordinal))
                {
                    // A build before any launch (the prebuild at start) is shown as well; a launch that comes meanwhile
                    // takes it over, with the build's own start.
                    var now = _time.GetTimestamp();
                    var build = new Launch(now, starting: false);
                    build.Say(note, now);
                    _active[service] = build;
                }
            }
            else if (line.StartsWith(ServiceLog.LaunchMarkerPrefix, StringComparison.Ordinal))
            {
                // Spawned: whatever came before (a build, a pull) is over; the service is starting now.
                if (_active.TryGetValue(service, out var launch))
                {
                    launch.Say(null, _time.GetTimestamp());
                }
            }
            else if (!string.IsNullOrWhiteSpace(line))
            {
                _lastOutput[service] = line;
            }
        }

        if (_echoServiceOutput)
        {
            _output.ServiceLine(service, line);
        }
    }

    public void OnStateChange(ServiceStateChange change)
    {
        string? lastWords = null;
        lock (_gate)
        {
            if (change.To == ServiceState.Starting)
            {
                if (_active.TryGetValue(change.Service, out var build) && !build.Starting)
                {
                    build.Starting = true;
                }
                else
                {
                    _active[change.Service] = new Launch(_time.GetTimestamp(), starting: true);
                }

                _lastOutput.Remove(change.Service);
            }
            else
            {
                _active.Remove(change.Service);
            }

            if (change.To == ServiceState.Failed)
            {
                lastWords = _lastOutput.GetValueOrDefault(change.Service);
            }
        }

        _output.StateChange(change);
        if (change.To == ServiceState.Failed)
        {
            var said = lastWords is null ? "it printed nothing" : $"its last line: {lastWords}";
            _output.Mesh($"{change.Service} did not start: {FirstClause(change.Detail)}; {said}; everything: meshdev logs {change.Service}");
        }

        if (_live)
        {
            _output.SetStatus(Status());
        }
    }

    /// <summary>The progress as it would be shown now (the status line's text, or null when nothing is starting).</summary>
    public string? Status()
    {
        lock (_gate)
        {
            if (_active.Count == 0)
            {
                return null;
            }

            var now = _time.GetTimestamp();
            return string.Join(" · ", _active.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => Describe(s.Key, s.Value, now)));
        }
    }

    private void Tick()
    {
        if (_live)
        {
            _output.SetStatus(Status());
            return;
        }

        List<string> slow;
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            slow = [.. _active
                .Where(s => _time.GetElapsedTime(s.Value.StartedAt, now) >= PlainInterval)
                .OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => Describe(s.Key, s.Value, now))];
        }

        foreach (var line in slow)
        {
            _output.Mesh(line);
        }
    }

    // "orders: building (dotnet build) 12.3 s": what the launch does now, and for how long it has been doing it.
    private string Describe(string service, Launch launch, long now)
    {
        var elapsed = _time.GetElapsedTime(launch.PhaseStartedAt, now).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
        return $"{service}: {launch.Note ?? "starting"} {elapsed} s";
    }

    // "exited with code 3 before it was ready; next try in 1 s" → the cause, without the retry schedule.
    private static string FirstClause(string detail)
    {
        var next = detail.LastIndexOf("; next try in", StringComparison.Ordinal);
        return next > 0 ? detail[..next] : detail;
    }

    public void Dispose()
    {
        _timer.Dispose();
        if (_live)
        {
            _output.SetStatus(null);
        }
    }

    private sealed class Launch(long startedAt, bool starting)
    {
        public long StartedAt { get; } = startedAt;

        /// <summary>True for a launch; false for a build no launch waits for yet.</summary>
        public bool Starting { get; set; } = starting;

        /// <summary>The latest thing the mesh said about this launch (pulling, building…); null once the service itself starts.</summary>
        public string? Note { get; private set; }

        /// <summary>When the launch began doing what <see cref="Note"/> says.</summary>
        public long PhaseStartedAt { get; private set; } = startedAt;

        /// <summary>
        /// A new note. One that goes on with the same thing (the next progress of a pull: the same first word) keeps its
        /// phase's start, so the time shown is that of the whole pull or build.
        /// </summary>
        public void Say(string? note, long now)
        {
            if (note is null || Note is null || FirstWord(note) != FirstWord(Note))
            {
                PhaseStartedAt = now;
            }

            Note = note;
        }

        private static string FirstWord(string text) => text.Split(' ', 2)[0];
    }
}
