using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Link;
using MeshDev.Proxy.Errors;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// The mesh port of a gRPC service, bound through <see cref="GrpcRelayTransport"/>: h2c connections to the service
/// while it is ready are relayed frame for frame (<see cref="GrpcRelay"/>); every other connection goes to Kestrel and
/// the mesh's HTTP path as on any mesh port.
/// </summary>
public sealed class GrpcRelayEndPoint(int port, ServiceActivator activator, CallerTracker callers) : EndPoint
{
    public int Port { get; } = port;
    public ServiceActivator Activator { get; } = activator;
    public CallerTracker Callers { get; } = callers;

    public override string ToString() => $"127.0.0.1:{Port}";

    /// <summary>
    /// Whether the relay keeps everything the HTTP path does for this service's calls: no requestTimeout (the relay
    /// does not time streams), no spans to export (it makes none), HTTP routing (not protocol: tcp), and declared gRPC
    /// (ready: { grpc: true } or routes.grpc), so that a call the service drops can be ended with a gRPC status.
    /// </summary>
    public static bool Suits(Catalog.ServiceSpec service, bool exportingTraces) =>
        !exportingTraces && service.RequestTimeout is null && service.Protocol == Catalog.ServiceProtocol.Http
        && (service.Ready.Kind == Catalog.ReadyKind.Grpc || !service.GrpcServices.IsDefaultOrEmpty);
}

/// <summary>Kestrel's transport for <see cref="GrpcRelayEndPoint"/>s (beside its socket transport, which binds the rest).</summary>
public sealed class GrpcRelayTransport(ForwardingErrorLog errors, ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public bool CanBind(EndPoint endpoint) => endpoint is GrpcRelayEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var listener = new GrpcRelayListener((GrpcRelayEndPoint)endpoint, errors, loggers);
        listener.Bind();
        return ValueTask.FromResult<IConnectionListener>(listener);
    }
}

/// <summary>
/// Accepts the port's connections itself and looks at each one's first bytes on a thread of its own: the HTTP/2
/// preface to a ready service is relayed there; anything else becomes a Kestrel connection, the socket untouched.
/// </summary>
internal sealed partial class GrpcRelayListener : IConnectionListener
{
    // A client that connects and says nothing for this long is handed to Kestrel, whose timeouts then apply.
    private const int FirstBytesWaitMicroseconds = 10_000_000;

    private readonly GrpcRelayEndPoint _endpoint;
    private readonly ForwardingErrorLog _errors;
    private readonly ILogger _logger;
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly SocketConnectionContextFactory _contexts;
    private readonly Channel<ConnectionContext> _toKestrel = Channel.CreateUnbounded<ConnectionContext>();
    private readonly ConcurrentDictionary<GrpcRelay, Thread> _relays = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    public GrpcRelayListener(GrpcRelayEndPoint endpoint, ForwardingErrorLog errors, ILoggerFactory loggers)
    {
        _endpoint = endpoint;
        _errors = errors;
        _logger = loggers.CreateLogger<GrpcRelayListener>();
        _contexts = new SocketConnectionContextFactory(new SocketConnectionFactoryOptions(), _logger);
        EndPoint = new IPEndPoint(IPAddress.Loopback, endpoint.Port);
    }

    public EndPoint EndPoint { get; }

    public void Bind()
    {
        try
        {
            _listener.Bind(EndPoint);
            _listener.Listen(512);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _listener.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }

        _accepting = AcceptAsync();
    }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _toKestrel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    private Task AcceptAsync() => AcceptLoop.RunAsync(
        _listener,
        client => new Thread(() => Serve(client), 128 * 1024) { IsBackground = true, Name = "meshdev grpc relay" }.Start(),
        error => LogAcceptFailed(_logger, _endpoint.Activator.Service.Name, error),
        _stopping.Token);

    private void Serve(Socket client)
    {
        if (Relay(client) is not { } relay)
        {
            if (_stopping.IsCancellationRequested || !_toKestrel.Writer.TryWrite(_contexts.Create(client)))
            {
                client.Dispose();
            }

            return;
        }

        _relays[relay] = Thread.CurrentThread;
        try
        {
            if (!_stopping.IsCancellationRequested)
            {
                relay.Run();
            }
        }
        finally
        {
            _relays.TryRemove(relay, out _);
        }
    }

    /// <summary>A relay when the connection opens with the h2c preface and the service is ready and reachable; else null.</summary>
    private GrpcRelay? Relay(Socket client)
    {
        var activator = _endpoint.Activator;
        Span<byte> first = stackalloc byte[HttpWire.Http2Preface.Length];
        try
        {
            // A peek: whatever is decided, the bytes stay for whoever serves the connection.
            if (!client.Poll(FirstBytesWaitMicroseconds, SelectMode.SelectRead)
                || client.Receive(first, SocketFlags.Peek) != first.Length || !first.SequenceEqual(HttpWire.Http2Preface)
                || !activator.TryHold(out var probe))
            {
                return null;
            }

            var endpoint = probe.Endpoint;
            probe.Dispose();
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                upstream.Connect(endpoint.Host, endpoint.Port);
            }
            catch (SocketException)
            {
                // Gone since it was ready: the HTTP path reports it and launches again.
                upstream.Dispose();
                return null;
            }

            var caller = _endpoint.Callers.Track(client.RemoteEndPoint, client.LocalEndPoint);
            return new GrpcRelay(activator, caller, _errors, client, upstream, endpoint);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Stops accepting; relayed clients are told GOAWAY, so their next calls wait for the next mesh.</summary>
    public async ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        _toKestrel.Writer.TryComplete();
        foreach (var relay in _relays.Keys)
        {
            relay.Drain();
        }
    }

    /// <summary>Cuts the relayed connections that are still open and waits for their threads.</summary>
    public async ValueTask DisposeAsync()
    {
        await UnbindAsync().ConfigureAwait(false);
        foreach (var (relay, thread) in _relays)
        {
            relay.Abort();
            thread.Join();
        }

        _contexts.Dispose();
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: could not accept a connection: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string service, string? error);
}
