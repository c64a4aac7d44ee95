using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using MeshDev.Link;

namespace MeshDev.Gateway;

/// <summary>
/// The sidecar: the app's calls to a mesh port go directly to a ready pod of the cluster when the laptop said where
/// one is (reported back, so the laptop's status, graph and idle stop stay right), else through the link the laptop
/// opened to it — and when there is no link, get an immediate "not connected" answer.
/// </summary>
internal sealed class PodGateway(GatewaySettings settings, Action<string> log) : IAsyncDisposable
{
    /// <summary>How long a call made right after the pod started waits for the laptop's first link (it is opened as the pod starts).</summary>
    private static readonly TimeSpan FirstLinkWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DirectConnectTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(1);

    private readonly List<TcpListener> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstLink = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<DirectCall, byte> _direct = new();
    private readonly Lock _linkGate = new();
    private LinkConnection? _link;
    private string _lastLoss = "the laptop has not connected yet";
    private volatile LinkRoutes _routes = LinkRoutes.None;
    private Timer? _reports;

    public void Start()
    {
        var linkListener = Listen(settings.LinkPort);
        _loops.Add(AcceptLinksAsync(linkListener));
        foreach (var (port, service) in settings.Ports)
        {
            var listener = Listen(port);
            _loops.Add(AcceptCallsAsync(listener, port, service));
        }

        _reports = new Timer(_ => ReportRequests(), null, ReportInterval, ReportInterval);
        log($"{settings.Service} (pod {settings.Pod}): {settings.Ports.Count} mesh ports on 127.0.0.1, link port {settings.LinkPort}");
    }

    private TcpListener Listen(int port)
    {
        // Loopback only: the app's calls and the laptop's port-forward come from inside the pod; nothing else may use them.
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start(512);
        _listeners.Add(listener);
        return listener;
    }

    private async Task AcceptLinksAsync(TcpListener listener)
    {
        while (await AcceptAsync(listener).ConfigureAwait(false) is { } socket)
        {
            var link = new LinkConnection(new NetworkStream(socket, ownsSocket: true), new LinkOptions { Message = OnMessage });
            link.Send(FrameType.Hello, new LinkHello(LinkProtocol.Version, settings.Service, settings.Pod).Encode());
            LinkConnection? replaced;
            lock (_linkGate)
            {
                replaced = _link;
                _link = link;
            }

            replaced?.Close("replaced by a newer link from the laptop");
            _firstLink.TrySetResult();
            log("the developer's mesh connected");
            _ = WatchAsync(link);
        }
    }

    private async Task WatchAsync(LinkConnection link)
    {
        var reason = await link.Closed.ConfigureAwait(false);
        lock (_linkGate)
        {
            if (_link != link)
            {
                return;
            }

            _link = null;
            _lastLoss = reason;
        }

        log($"the developer's mesh disconnected: {reason}");
    }

    private void OnMessage(FrameType type, byte[] payload)
    {
        if (type == FrameType.Routes)
        {
            _routes = LinkRoutes.Decode(payload);
        }
    }

    private async Task AcceptCallsAsync(TcpListener listener, int port, string service)
    {
        while (await AcceptAsync(listener).ConfigureAwait(false) is { } socket)
        {
            _ = Task.Run(() => CallAsync(socket, port, service));
        }
    }

    private async Task<Socket?> AcceptAsync(TcpListener listener)
    {
        try
        {
            var socket = await listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            socket.NoDelay = true;
            return socket;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            return null;
        }
    }

    private async Task CallAsync(Socket socket, int port, string service)
    {
        try
        {
            if (_routes.Direct.TryGetValue(port, out var direct) && await ConnectDirectAsync(direct).ConfigureAwait(false) is { } upstream)
            {
                await DirectAsync(socket, upstream, direct.Service).ConfigureAwait(false);
                return;
            }

            var (link, why) = await LinkAsync().ConfigureAwait(false);
            if (link is null)
            {
                await NotConnectedResponse.RespondAsync(socket, service, why).ConfigureAwait(false);
                socket.Dispose();
                return;
            }

            await link.Open(new LinkOpen(port)).PipeAsync(socket, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            socket.Dispose();
        }
    }

    /// <summary>The link now; right after the pod started, the first link once it comes (bounded).</summary>
    private async Task<(LinkConnection? Link, string Why)> LinkAsync()
    {
        if (!_firstLink.Task.IsCompleted)
        {
            await Task.WhenAny(_firstLink.Task, Task.Delay(FirstLinkWait, _stopping.Token)).ConfigureAwait(false);
        }

        lock (_linkGate)
        {
            return _link is { IsOpen: true } link ? (link, "") : (null, _lastLoss);
        }
    }

    private static async Task<Socket?> ConnectDirectAsync(LinkDirectRoute route)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(DirectConnectTimeout);
        try
        {
            await socket.ConnectAsync(route.Host, route.Port, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // The pod went away a moment ago: the laptop's route is older than that; the link carries the call.
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Pipes a call to a ready pod directly, telling the laptop whenever the connection starts or stops having a
    /// request in flight (so idle stop waits for it, but not for an idle pooled connection) and how many it carried.
    /// </summary>
    private async Task DirectAsync(Socket client, Socket upstream, string service)
    {
        var call = new DirectCall(service, Report);
        _direct[call] = 0;
        var up = CopyAsync(client, upstream, data => call.Observe(data, fromClient: true), () => { });
        var down = CopyAsync(upstream, client, data => call.Observe(data, fromClient: false), call.ServerClosed);
        try
        {
            // One direction failing ends both at once: the other would wait for bytes that never come (a reset client's
            // upstream keeps its keep-alive connection open), and the laptop would count the callee busy meanwhile.
            if (await Task.WhenAny(up, down).ConfigureAwait(false) is { IsCompletedSuccessfully: false } failed)
            {
                await failed.ConfigureAwait(false);
            }

            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            client.LingerState = new LingerOption(true, 0);
            upstream.LingerState = new LingerOption(true, 0);
            client.Dispose();
            upstream.Dispose();
            await Task.WhenAll(up, down).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            _direct.TryRemove(call, out _);
            call.Closed();
            client.Dispose();
            upstream.Dispose();
        }
    }

    private async Task CopyAsync(Socket from, Socket to, SpanAction observe, Action ended)
    {
        var buffer = new byte[LinkFrame.MaxData];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stopping.Token).ConfigureAwait(false);
            if (read == 0)
            {
                ended();
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            observe(buffer.AsSpan(0, read));
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stopping.Token).ConfigureAwait(false);
        }
    }

    private delegate void SpanAction(ReadOnlySpan<byte> data);

    private void ReportRequests()
    {
        foreach (var call in _direct.Keys)
        {
            call.Tick();
        }
    }

    private void Report(LinkReport report)
    {
        LinkConnection? link;
        lock (_linkGate)
        {
            link = _link;
        }

        // Without a link the call still goes through; only the laptop's count of it is lost.
        link?.Send(FrameType.Report, report.Encode());
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        await Task.WhenAll(_loops).ConfigureAwait(false);
        if (_reports is not null)
        {
            await _reports.DisposeAsync().ConfigureAwait(false);
        }

        LinkConnection? link;
        lock (_linkGate)
        {
            link = _link;
        }

        if (link is not null)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>
    /// One direct connection: whether it has a request in flight, and the requests the laptop has not heard of yet. It is
    /// reported busy at its first request and idle only once it has had none in flight for <see cref="IdleAfter"/>: a
    /// connection under load is then one report, not two per request, and the laptop's idle stop (minutes) loses nothing.
    /// </summary>
    private sealed class DirectCall(string service, Action<LinkReport> report)
    {
        private static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(1);

        private readonly HttpExchanges _exchanges = new();
        private readonly Lock _gate = new();
        private long _reported;
        private bool _reportedBusy;
        private long _idleSince;

        public string Service { get; } = service;

        public void Observe(ReadOnlySpan<byte> data, bool fromClient)
        {
            if (fromClient)
            {
                _exchanges.FromClient(data);
            }
            else
            {
                _exchanges.FromServer(data);
            }

            Update();
        }

        public void ServerClosed()
        {
            _exchanges.ServerClosed();
            Update();
        }

        /// <summary>Every second: an idle spell long enough is reported, and the requests counted meanwhile.</summary>
        public void Tick()
        {
            lock (_gate)
            {
                if (_reportedBusy && _idleSince != 0 && Environment.TickCount64 - _idleSince >= IdleAfter.TotalMilliseconds)
                {
                    _reportedBusy = false;
                    report(new LinkReport(Service, 0, 1, TakeUnreportedLocked()));
                }
                else if (TakeUnreportedLocked() is > 0 and var requests)
                {
                    report(new LinkReport(Service, 0, 0, requests));
                }
            }
        }

        /// <summary>The connection is gone: whatever was in flight is over.</summary>
        public void Closed()
        {
            lock (_gate)
            {
                report(new LinkReport(Service, 0, _reportedBusy ? 1 : 0, TakeUnreportedLocked()));
                _reportedBusy = false;
            }
        }

        private long TakeUnreportedLocked()
        {
            var total = _exchanges.Requests;
            var delta = total - _reported;
            _reported = total;
            return delta;
        }

        private void Update()
        {
            var busy = _exchanges.InFlight > 0;
            lock (_gate)
            {
                if (!busy)
                {
                    _idleSince = _idleSince == 0 ? Environment.TickCount64 : _idleSince;
                    return;
                }

                _idleSince = 0;
                if (!_reportedBusy)
                {
                    _reportedBusy = true;
                    report(new LinkReport(Service, 1, 0, TakeUnreportedLocked()));
                }
            }
        }
    }
}
