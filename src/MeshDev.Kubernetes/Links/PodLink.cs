using MeshDev.Link;

namespace MeshDev.Kubernetes.Links;

/// <summary>Where a pod's link is: what <c>status</c>, <c>doctor</c> and the dashboard show.</summary>
internal enum LinkState
{
    Connecting,
    Connected,
    Down,
}

/// <summary>
/// The link to one pod's gateway, opened from the laptop (the cluster cannot dial it) through a port-forward to the
/// gateway's link port, and opened again with back-off whenever it is lost, until the pod goes away. While it is
/// down the gateway answers the pod's calls to the laptop with "not connected" at once.
/// </summary>
internal sealed class PodLink : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    private readonly LinkHub _hub;
    private readonly Func<CancellationToken, Task<Stream>> _connect;
    private readonly Action<string> _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly Stack<IDisposable> _holds = new();
    private LinkConnection? _link;
    private Task _loop = Task.CompletedTask;

    public PodLink(LinkHub hub, string service, string pod, Func<CancellationToken, Task<Stream>> connect, Action<string> log, TimeProvider time)
    {
        _hub = hub;
        Service = service;
        Pod = pod;
        _connect = connect;
        _log = log;
        _time = time;
        Since = time.GetUtcNow();
    }

    public string Service { get; }

    public string Pod { get; }

    public LinkState State { get; private set; } = LinkState.Connecting;

    /// <summary>When <see cref="State"/> last changed.</summary>
    public DateTimeOffset Since { get; private set; }

    /// <summary>Why the link is down (or was last lost).</summary>
    public string? Reason { get; private set; }

    /// <summary>Calls from the pod carried right now.</summary>
    public int OpenCalls => _link?.OpenStreams ?? 0;

    /// <summary>One line for status: <c>connected (2 calls open)</c>, <c>down: … (retrying)</c>.</summary>
    public string Describe() => State switch
    {
        LinkState.Connected => $"link to pod {Pod} connected{(OpenCalls > 0 ? $" ({OpenCalls} calls open)" : "")}",
        LinkState.Down => $"link to pod {Pod} down since {Since.ToLocalTime():HH:mm:ss}: {Reason}; retrying",
        _ => $"link to pod {Pod} connecting",
    };

    public void Start()
    {
        _hub.Register(this);
        _loop = Task.Run(RunAsync);
    }

    public void SendRoutes(LinkRoutes routes)
    {
        if (State == LinkState.Connected)
        {
            _link?.Send(FrameType.Routes, routes.Encode());
        }
    }

    private async Task RunAsync()
    {
        var failures = 0;
        while (!_stopping.IsCancellationRequested)
        {
            var reason = await ConnectOnceAsync().ConfigureAwait(false);
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            failures = State == LinkState.Connected ? 1 : failures + 1;
            if (State == LinkState.Connected)
            {
                _log($"meshdev: the link to pod {Pod} was lost ({reason}); reconnecting");
            }

            SetState(LinkState.Down, reason);
            var wait = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(failures - 1, 10)));
            try
            {
                await Task.Delay(wait, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Opens the link and serves it until it is lost; returns why it ended.</summary>
    private async Task<string> ConnectOnceAsync()
    {
        Stream transport;
        try
        {
            transport = await _connect(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            return $"the port-forward to the gateway failed: {e.Message}";
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }

        var hello = new TaskCompletionSource<LinkHello>(TaskCreationOptions.RunContinuationsAsynchronously);
        var link = new LinkConnection(transport, new LinkOptions
        {
            Accept = (tunnel, open) => _hub.AcceptAsync(tunnel, open, Service, _stopping.Token),
            Message = (type, payload) => OnMessage(type, payload, hello),
            Time = _time,
        });
        lock (_gate)
        {
            _link = link;
        }

        try
        {
            var greeting = await hello.Task.WaitAsync(HelloTimeout, _time, _stopping.Token).ConfigureAwait(false);
            if (greeting.Version != LinkProtocol.Version)
            {
                return $"the pod's gateway speaks link version {greeting.Version}, this mesh {LinkProtocol.Version}: use the gateway image of this meshdev";
            }

            SetState(LinkState.Connected, null);
            link.Send(FrameType.Routes, _hub.Routes.Encode());
            return await link.Closed.WaitAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return await link.Closed.WaitAsync(TimeSpan.Zero, _time).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : "the gateway did not greet within 10 s", TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return "stopped";
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
            ReleaseHolds();
        }
    }

    private void OnMessage(FrameType type, byte[] payload, TaskCompletionSource<LinkHello> hello)
    {
        switch (type)
        {
            case FrameType.Hello:
                hello.TrySetResult(LinkHello.Decode(payload));
                break;
            case FrameType.Report:
                lock (_holds)
                {
                    _hub.OnReport(LinkReport.Decode(payload), Service, _holds);
                }

                break;
        }
    }

    private void ReleaseHolds()
    {
        lock (_holds)
        {
            while (_holds.Count > 0)
            {
                _holds.Pop().Dispose();
            }
        }
    }

    private void SetState(LinkState state, string? reason)
    {
        if (State != state)
        {
            Since = _time.GetUtcNow();
        }

        State = state;
        Reason = reason;
    }

    public async ValueTask DisposeAsync()
    {
        _hub.Unregister(this);
        await _stopping.CancelAsync().ConfigureAwait(false);
        LinkConnection? link;
        lock (_gate)
        {
            link = _link;
        }

        link?.Close("the pod is going away");
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
