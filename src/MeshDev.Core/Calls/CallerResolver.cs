using System.Net;

namespace MeshDev.Calls;

/// <summary>
/// Names the caller of loopback connections from the kernel's socket tables (Linux): the client's socket (its address and
/// port, as the mesh sees the connection's remote end) is found in <c>/proc/net/tcp</c>/<c>tcp6</c>, which gives its
/// inode; the process holding that inode is looked for among the processes of the services (each <see cref="CallerRoot"/>
/// and its descendants, through <c>/proc/PID/fd</c>), then walked up its parents (<c>/proc/PID/stat</c>) to the root.
/// Anything else is <see cref="CallGraph.External"/>: curl, a browser, the IDE, another user's process (whose descriptors
/// cannot be read), or a client that closed its connection before it was looked at. Only the services' processes are
/// searched, so the cost does not grow with everything else running on the machine. One caller at a time.
/// </summary>
public sealed class CallerResolver
{
    private const int MaxAncestors = 64;

    // Who listens on an external service's port: found by a search of every process, once per listening socket.
    private readonly Dictionary<(int Port, ulong Inode), int> _listeners = [];
    private readonly Lock _gate = new();

    /// <summary>Looks up the callers of many connections at once: one read of the socket tables and one pass over the services' processes.</summary>
    /// <param name="connections">Each connection's client end (its remote end point) and server end (the mesh's local end point).</param>
    /// <returns>A service name or <see cref="CallGraph.External"/> per connection, in order.</returns>
    public IReadOnlyList<string> Resolve(IReadOnlyList<(IPEndPoint Client, IPEndPoint Server)> connections, IReadOnlyList<CallerRoot> roots)
    {
        var callers = Enumerable.Repeat(CallGraph.External, connections.Count).ToArray();
        if (connections.Count == 0 || roots.Count == 0 || !OperatingSystem.IsLinux())
        {
            return callers;
        }

        lock (_gate)
        {
            // Only the sockets that can matter: those on the clients' ports and on the external services' ports.
            var ports = connections.Select(c => c.Client.Port).Concat(roots.Where(r => r.ListenPort is not null).Select(r => r.ListenPort!.Value)).ToHashSet();
            var sockets = ProcNetTcp.Read(ports);
            var byEnds = new Dictionary<(IPEndPoint Local, IPEndPoint Remote), ulong>();
            foreach (var socket in sockets.Where(s => s.State != ProcNetTcp.Listen && s.Inode != 0))
            {
                byEnds.TryAdd((socket.Local, socket.Remote), socket.Inode);
            }

            // The client's socket is the one whose own end is the connection's remote end, and whose peer is the mesh.
            var clientInodes = connections.Select(c => byEnds.GetValueOrDefault((Normalize(c.Client), Normalize(c.Server)))).ToArray();
            if (clientInodes.All(i => i == 0))
            {
                return callers;
            }

            var rootByProcess = new Dictionary<int, string>();
            foreach (var root in roots.Where(r => r.ProcessId is not null))
            {
                rootByProcess.TryAdd(root.ProcessId!.Value, root.Service);
            }

            foreach (var (pid, service) in ListenerProcesses(sockets, roots))
            {
                rootByProcess.TryAdd(pid, service);
            }

            var parents = ProcProcesses.Parents();
            var owners = ProcProcesses.FindOwners([.. clientInodes.Where(i => i != 0)], ProcProcesses.Descendants(rootByProcess.Keys, parents));
            for (var i = 0; i < connections.Count; i++)
            {
                if (owners.TryGetValue(clientInodes[i], out var owner))
                {
                    callers[i] = ServiceOf(owner, rootByProcess, parents) ?? CallGraph.External;
                }
            }

            return callers;
        }
    }

    /// <summary>The processes listening on the ports of the external services, from the cache or by a search of every process.</summary>
    private IEnumerable<(int Pid, string Service)> ListenerProcesses(IReadOnlyList<TcpSocket> sockets, IReadOnlyList<CallerRoot> roots)
    {
        var listening = roots.Where(r => r.ListenPort is not null)
            .Select(r => (Root: r, Key: (Port: r.ListenPort!.Value, Inode: ListeningSocket(sockets, r.ListenPort!.Value))))
            .Where(l => l.Key.Inode != 0)
            .ToArray();
        var unknown = listening.Where(l => !_listeners.ContainsKey(l.Key)).Select(l => l.Key.Inode).ToHashSet();
        if (unknown.Count > 0)
        {
            var owners = ProcProcesses.FindOwners(unknown, ProcProcesses.All());
            foreach (var (_, key) in listening.Where(l => owners.ContainsKey(l.Key.Inode)))
            {
                _listeners[key] = owners[key.Inode];
            }
        }

        return listening.Where(l => _listeners.ContainsKey(l.Key)).Select(l => (_listeners[l.Key], l.Root.Service));
    }

    private static ulong ListeningSocket(IReadOnlyList<TcpSocket> sockets, int port) =>
        sockets.FirstOrDefault(s => s.State == ProcNetTcp.Listen && s.Local.Port == port && s.Inode != 0)?.Inode ?? 0;

    private static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    /// <summary>The first process up the parent chain of <paramref name="pid"/> (itself included) that is a root's, or null.</summary>
    private static string? ServiceOf(int pid, Dictionary<int, string> roots, Dictionary<int, int> parents)
    {
        for (var depth = 0; depth < MaxAncestors && pid > 1; depth++)
        {
            if (roots.TryGetValue(pid, out var service))
            {
                return service;
            }

            if (!parents.TryGetValue(pid, out pid))
            {
                return null;
            }
        }

        return null;
    }
}
