using System.Globalization;
using System.Net;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <summary>What a process tree listens on and the CPU time each of its processes has used, at one look.</summary>
/// <param name="Listening">The listening sockets its processes hold.</param>
/// <param name="CpuTicks">Per process of the tree, its CPU time so far in clock ticks.</param>
internal sealed record ProcessTreeLook(IReadOnlyList<IPEndPoint> Listening, IReadOnlyDictionary<int, long> CpuTicks);

/// <summary>
/// Notices a launched service that serves somewhere other than where the mesh told it to (a port of its own, ignoring
/// <c>PORT</c>), so the launch fails at once with the fix instead of after the whole start timeout. Once the instance
/// has not been ready for <see cref="Grace"/>, and then every <see cref="Interval"/>, it looks at what the instance's
/// process tree listens on (<c>/proc/net/tcp{,6}</c> sockets whose inodes its processes' descriptors hold). It speaks
/// only when the tree has settled since the previous look (the same processes, almost no CPU used: a service waiting
/// for connections, not one still building or starting, like <c>dotnet watch</c> whose browser-refresh server listens
/// before the app is even built), and only of listeners that answer like the service (the readiness probe; for a
/// <c>tcp</c> probe, an answer in the service's protocol), so a debugger's port that does not is not mistaken for it.
/// </summary>
internal sealed class ListenerDiagnosis
{
    /// <summary>How long a launch may be not ready before its listeners are looked at: most services bind their port well within it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    /// <summary>How often they are looked at again after that (a slow service may bind its port late).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    /// <summary>The most CPU a settled tree may use between two looks, as a share of one core: answering the looks' own requests.</summary>
    private const double SettledCpuShare = 0.1;

    private readonly ServiceSpec _service;
    private readonly IServiceInstance _instance;
    private readonly TimeProvider _time;
    private readonly Func<int, ProcessTreeLook> _look;
    private long _nextLook;
    private ProcessTreeLook? _previous;
    private long _previousAt;

    /// <param name="look">Looks at a process tree (by its top pid); <see cref="LookAt"/> unless a test says otherwise.</param>
    public ListenerDiagnosis(ServiceSpec service, IServiceInstance instance, TimeProvider time, Func<int, ProcessTreeLook>? look = null)
    {
        _service = service;
        _instance = instance;
        _time = time;
        _look = look ?? LookAt;
        _nextLook = time.GetTimestamp() + ToTimestamp(Grace);
    }

    /// <summary>
    /// True when the last look found a local process's tree listening on no port at all: a timeout then is not
    /// slowness but a service that does not listen where it is told. Not said of containers, whose processes may be
    /// another user's and show no sockets.
    /// </summary>
    public bool ListenedNowhere => _service.Runtime == RuntimeKind.Process && _previous is { Listening.Count: 0 };

    /// <summary>
    /// The sentence that says where the instance serves instead and what to change; null while there is nothing to say
    /// (too early, it listens where it should, or nowhere that answers yet). Only for instances whose port is on this
    /// machine's loopback and whose processes are known: processes and host-network containers.
    /// </summary>
    public async ValueTask<string?> CheckAsync(CancellationToken cancellationToken)
    {
        if (!_service.ListensOnHost || _instance.ProcessId is not int pid || _time.GetTimestamp() < _nextLook)
        {
            return null;
        }

        var now = _time.GetTimestamp();
        _nextLook = now + ToTimestamp(Interval);
        var look = _look(pid);
        var previous = _previous;
        var sincePrevious = _time.GetElapsedTime(_previousAt, now);
        (_previous, _previousAt) = (look, now);
        var expected = _instance.Endpoint;
        var listening = look.Listening;
        if (listening.Count == 0 || listening.Any(l => Reaches(l, expected)) || previous is null || !Settled(previous, look, sincePrevious))
        {
            return null;
        }

        var serving = new List<IPEndPoint>();
        foreach (var endPoint in listening.Distinct().OrderBy(l => l.Port).ThenBy(l => l.ToString(), StringComparer.Ordinal))
        {
            if (await AnswersAsync(endPoint, cancellationToken).ConfigureAwait(false))
            {
                serving.Add(endPoint);
            }
        }

        return serving.Count == 0 ? null : Describe(_service.Name, expected, serving);
    }

    /// <summary>
    /// "orders listens on 127.0.0.1:29330, not on PORT=24544: use ${PORT} in args or set port: 29330"; or, when it uses
    /// the right port on an address the mesh does not connect to, which address to listen on instead.
    /// </summary>
    internal static string Describe(string service, ServiceEndpoint expected, IReadOnlyList<IPEndPoint> serving)
    {
        var elsewhere = serving.Where(s => s.Port != expected.Port).ToList();
        if (elsewhere.Count == 0)
        {
            return $"{service} listens on {Join(serving)}, not on {expected} where the mesh connects: make it listen on 127.0.0.1 or 0.0.0.0";
        }

        var ports = elsewhere.Select(s => s.Port).Distinct().ToList();
        var fix = ports.Count == 1 ? $"set port: {ports[0].ToString(CultureInfo.InvariantCulture)}" : "set port: to the one it serves on";
        return $"{service} listens on {Join(elsewhere)}, not on PORT={expected.Port.ToString(CultureInfo.InvariantCulture)}: use ${{PORT}} in args or {fix}";
    }

    /// <summary>
    /// The listening sockets of the process <paramref name="root"/> and all its descendants, and their CPU time; no
    /// sockets where /proc cannot tell (not Linux, another user's processes).
    /// </summary>
    internal static ProcessTreeLook LookAt(int root)
    {
        var listeners = new Dictionary<ulong, IPEndPoint>();
        foreach (var socket in ProcNetTcp.Read())
        {
            if (socket.State == ProcNetTcp.Listen && socket.Inode != 0)
            {
                listeners.TryAdd(socket.Inode, socket.Local);
            }
        }

        var found = new List<IPEndPoint>();
        var cpu = new Dictionary<int, long>();
        foreach (var pid in ProcProcesses.Descendants([root], ProcProcesses.Parents()))
        {
            if (ProcProcesses.CpuTicks(pid) is { } ticks)
            {
                cpu[pid] = ticks;
            }

            if (listeners.Count == 0)
            {
                continue;
            }

            foreach (var inode in ProcProcesses.SocketInodes(pid))
            {
                if (listeners.Remove(inode, out var endPoint))
                {
                    found.Add(endPoint);
                }
            }
        }

        return new ProcessTreeLook(found, cpu);
    }

    /// <summary>True when the tree has the same processes as at the previous look and they used at most <see cref="SettledCpuShare"/> of a core since.</summary>
    private static bool Settled(ProcessTreeLook previous, ProcessTreeLook now, TimeSpan elapsed)
    {
        if (previous.CpuTicks.Count != now.CpuTicks.Count || previous.CpuTicks.Keys.Any(pid => !now.CpuTicks.ContainsKey(pid)))
        {
            return false;
        }

        var used = now.CpuTicks.Sum(p => p.Value - previous.CpuTicks[p.Key]);
        return used <= elapsed.TotalSeconds * ProcProcesses.ClockTicksPerSecond * SettledCpuShare;
    }

    /// <summary>True when a connect to <paramref name="expected"/> reaches the listener: same port, and its address or a wildcard.</summary>
    private static bool Reaches(IPEndPoint listener, ServiceEndpoint expected) =>
        listener.Port == expected.Port
        && (!IPAddress.TryParse(expected.Host, out var address)
            || listener.Address.Equals(address)
            || listener.Address.Equals(IPAddress.Any)
            || listener.Address.Equals(IPAddress.IPv6Any));

    /// <summary>Whether the listener answers like the service within one probe attempt.</summary>
    private async Task<bool> AnswersAsync(IPEndPoint listener, CancellationToken cancellationToken)
    {
        // A wildcard listener is reached on loopback, like the mesh would reach it.
        var target = listener.Address.Equals(IPAddress.Any) ? new IPEndPoint(IPAddress.Loopback, listener.Port)
            : listener.Address.Equals(IPAddress.IPv6Any) ? new IPEndPoint(IPAddress.IPv6Loopback, listener.Port)
            : listener;
        if (_service.Ready.Kind is ReadyKind.Http or ReadyKind.Grpc)
        {
            // The probe itself passing there is the strongest sign that this is the service on the wrong port.
            return await ReadinessProbe.For(_service.Ready).ProbeAsync(new ServiceEndpoint(target.Address.ToString(), target.Port), cancellationToken).ConfigureAwait(false);
        }

        using var attempt = new CancellationTokenSource(ReadinessProbe.AttemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Token);
        try
        {
            return await ProtocolAnswer.AnswersAsync(_service, target, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string Join(IEnumerable<IPEndPoint> endPoints) => string.Join(" and ", endPoints.Select(e => e.ToString()));

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);
}
