using System.ComponentModel;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace MeshDev.Runtime;

/// <summary>
/// Systemd socket activation (sd_listen_fds): the mesh binds and listens on the service's port before the spawn, and
/// the service takes the listening socket at fd 3 (<c>LISTEN_FDS=1</c>, <c>LISTEN_PID</c> its own pid). Connections
/// wait in the kernel's accept queue from the spawn on, so nothing has to be probed before traffic is sent.
/// </summary>
/// <remarks>
/// How the socket reaches the service, and only it: <c>Process.Start</c> cannot hand a descriptor to a child, and the
/// launcher shell cannot reopen a socket through <c>/proc/PID/fd</c> (open() on a socket fails). The simplest correct
/// way is the plain inheritance of a fork: the socket's close-on-exec flag is cleared while <see cref="SpawnGate"/>
/// holds every spawn of the mesh, so the one child forked meanwhile inherits it, and the shell moves it to fd 3 and
/// sets <c>LISTEN_PID=$$</c> before it execs the service in place (same pid). Passing it over a unix socket
/// (SCM_RIGHTS) needs a helper program in the chain; posix_spawn with file actions would replace Process (its pipes
/// and exit watch) with code of our own.
/// </remarks>
internal sealed partial class ActivationSocket : IDisposable
{
    /// <summary>The descriptor sd_listen_fds(3) reads the first socket from.</summary>
    public const int ListenFd = 3;

    /// <summary>Deep enough for a burst of held requests at a cold start (the kernel caps it at net.core.somaxconn).</summary>
    private const int Backlog = 1024;

    private const int SetDescriptorFlags = 2; // F_SETFD

    private readonly Socket _socket;

    private ActivationSocket(Socket socket, int port)
    {
        _socket = socket;
        Port = port;
        Descriptor = (int)socket.SafeHandle.DangerousGetHandle();
    }

    /// <summary>Ready at once: connections to a socket-activated service wait in its accept queue until it takes them.</summary>
    public static IReadinessProbe AcceptQueue { get; } = new AcceptQueueReadiness();

    public int Port { get; }

    /// <summary>The socket's descriptor in the mesh, which the child inherits under the same number.</summary>
    public int Descriptor { get; }

    /// <summary>
    /// The launcher shell's part (bash): moves the inherited socket to fd 3 and names the pid that execs next, its own.
    /// LISTEN_FDS and LISTEN_FDNAMES are in the environment already.
    /// </summary>
    public string LauncherStep => Descriptor == ListenFd
        ? "export LISTEN_PID=$$; "
        : string.Create(CultureInfo.InvariantCulture, $"exec {ListenFd}<&{Descriptor} {Descriptor}<&-; export LISTEN_PID=$$; ");

    /// <summary>Binds and listens on 127.0.0.1:<paramref name="port"/>; a port held by another program is a launch failure that says so.</summary>
    public static ActivationSocket Bind(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // As the servers it stands in for do: connections of the previous instance in TIME_WAIT must not block it.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(Backlog);
            return new ActivationSocket(socket, port);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new LaunchException($"port {port} is taken by another program, so the mesh cannot listen on it for the service (socket activation): {e.Message}", e);
        }
    }

    /// <summary>The variables sd_listen_fds(3) reads, but LISTEN_PID, which only the launcher knows (<see cref="LauncherStep"/>).</summary>
    public static void AddEnvironment(IDictionary<string, string> environment, string serviceName)
    {
        environment["LISTEN_FDS"] = "1";
        environment["LISTEN_FDNAMES"] = serviceName;
    }

    /// <summary>Clears close-on-exec, so that the next fork's child inherits the socket; only under <see cref="SpawnGate"/>.</summary>
    internal void AllowInheritance()
    {
        if (SetFlags(Descriptor, SetDescriptorFlags, 0) != 0)
        {
            throw new LaunchException($"could not hand the listening socket of port {Port} to the service: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
    }

    public void Dispose() => _socket.Dispose();

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int SetFlags(int fd, int command, int flags);

    private sealed class AcceptQueueReadiness : IReadinessProbe
    {
        public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken) => ValueTask.FromResult(true);

        public override string ToString() => "socket activation";
    }
}
