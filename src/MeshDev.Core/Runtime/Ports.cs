using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace MeshDev.Runtime;

/// <summary>Loopback port helpers: pick a free port, see whether something listens, see whether a port can be bound.</summary>
public static class Ports
{
    /// <summary>
    /// The lowest port <see cref="GetFreeServicePort"/> picks: above the mesh's own ports (15000–15999 by default) and
    /// the usual fixed ports of development servers.
    /// </summary>
    public const int ServicePortsStart = 20000;

    // Fewer free ports than this between ServicePortsStart and the ephemeral range: let the OS pick instead.
    private const int MinimumServicePorts = 1000;
    private const int ServicePortCandidates = 32;

    private static readonly Lazy<int> EphemeralStart = new(ReadEphemeralStart);

    // The latest picks of this process: a service launched a moment ago may not have bound its port yet, and a sibling
    // launched at the same time must not get the same one (its readiness probe would pass against the other service).
    private static readonly int[] RecentPicks = new int[64];
    private static int _recentPickCount;

    /// <summary>
    /// How long a connect to loopback may take before the port counts as not listening. Loopback connects are
    /// refused or accepted at once; this only guards against a listener whose backlog is full, and is generous so
    /// that a busy machine (a slow thread pool) is not mistaken for "nothing listens".
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A port on 127.0.0.1 that nothing is bound to right now (the OS picks it; it is released before returning).</summary>
    public static int GetFreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>
    /// A port on 127.0.0.1 for a service with <c>port: auto</c> to listen on, nothing bound to it right now. Picked at random
    /// below the OS's ephemeral range: ports there are never handed out for an outgoing connection nor by
    /// <see cref="GetFreePort"/> (what tests and other tools use), so in the time between the pick and the service's
    /// own bind, far fewer programs can take it. Falls back to <see cref="GetFreePort"/> where that range leaves no room.
    /// </summary>
    /// <param name="reserved">Ports never picked: the fixed ports of the manifest's other services, free now only because
    /// those services are not running yet.</param>
    public static int GetFreeServicePort(IReadOnlySet<int>? reserved = null)
    {
        var end = EphemeralStart.Value;
        if (end - ServicePortsStart >= MinimumServicePorts)
        {
            for (var i = 0; i < ServicePortCandidates; i++)
            {
                var port = Random.Shared.Next(ServicePortsStart, end);
                if (reserved?.Contains(port) != true && !PickedRecently(port) && CanBind(port))
                {
                    return Remember(port);
                }
            }
        }

        // The OS picks from its ephemeral range, which may hold reserved ports where that range starts low.
        for (var i = 0; ; i++)
        {
            var port = GetFreePort();
            if (reserved?.Contains(port) != true || i == ServicePortCandidates)
            {
                return Remember(port);
            }
        }
    }

    private static bool PickedRecently(int port)
    {
        lock (RecentPicks)
        {
            return Array.IndexOf(RecentPicks, port, 0, Math.Min(_recentPickCount, RecentPicks.Length)) >= 0;
        }
    }

    private static int Remember(int port)
    {
        lock (RecentPicks)
        {
            RecentPicks[_recentPickCount++ % RecentPicks.Length] = port;
        }

        return port;
    }

    /// <summary>The first port of the range the OS picks ephemeral ports from: Linux's setting, else the IANA range (macOS, BSDs, Windows).</summary>
    internal static int ReadEphemeralStart()
    {
        try
        {
            return ParseEphemeralStart(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")) ?? 49152;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 49152;
        }
    }

    /// <summary>The first number of <c>ip_local_port_range</c> ("32768\t60999"), or null when it is not a port.</summary>
    internal static int? ParseEphemeralStart(string range) =>
        range.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [var first, ..]
        && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : null;

    /// <summary>True when a TCP connect to 127.0.0.1:<paramref name="port"/> succeeds within <see cref="ConnectTimeout"/>.</summary>
    public static Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken) =>
        TryConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ConnectTimeout, cancellationToken).AsTask();

    /// <summary>
    /// True when 127.0.0.1:<paramref name="port"/> can be bound now: no listener holds it (on loopback or the wildcard address).
    /// Like the servers it stands in for, the check sets SO_REUSEADDR, so connections of a previous instance in TIME_WAIT do not count.
    /// </summary>
    public static bool CanBind(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Connects and disconnects; false on refusal, unreachable or timeout. Throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    internal static async ValueTask<bool> TryConnectAsync(EndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A host name (DnsEndPoint) needs a dual-mode socket, which can reach both IPv4 and IPv6 addresses.
        using var socket = endpoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
