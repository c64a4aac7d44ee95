using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.Link;
using MeshDev.Link.Hpack;
using MeshDev.Proxy.Errors;
using MeshDev.Proxy.Forwarding;
using MeshDev.Runtime;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// One h2c connection from a gRPC client to a ready service, passed frame for frame to one connection of the service's
/// own: both HTTP/2 endpoints are the real client and the real server (settings, flow control, HPACK tables, pings),
/// and the mesh only reads the frames as they pass. Each stream is a call: it takes a lease (in flight, idle stop) and
/// counts in the call graph under the connection's caller, with its path and status from the header blocks.
/// </summary>
/// <remarks>
/// The relay does what the HTTP path would do where it matters for a gRPC client:
/// <list type="bullet">
/// <item>A new stream while the service cannot take it (stopping, rebuilding, a new instance) is not passed on: the
/// client gets a GOAWAY naming the last stream passed on, and sends that call and later ones on a new connection, which
/// the mesh's HTTP path serves (launching the service). The same when a pod's caller can now reach the service pod to
/// pod.</item>
/// <item>The service closing the connection with calls open ends each of them with UNAVAILABLE in the same words as the
/// HTTP path, then a GOAWAY; one line goes to the daemon's log (rate-limited).</item>
/// </list>
/// A dropped stream's header block never reaches the server, whose HPACK table then misses what the client's encoder
/// added for it: harmless, because a client told GOAWAY opens no new stream there and gRPC clients send no request
/// trailers. Two threads per connection, blocking reads and writes, as <see cref="TcpServiceProxy"/> (same reasons).
/// </remarks>
internal sealed class GrpcRelay
{
    private const int BufferSize = 64 * 1024;

    // Once the service's side is gone, how long the client may take to close after its GOAWAY.
    private const int ClientCloseWaitMicroseconds = 10_000_000;

    private readonly ServiceActivator _activator;
    private readonly CallerConnection _caller;
    private readonly ForwardingErrorLog _errors;
    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly ServiceEndpoint _endpoint;
    private readonly Dictionary<int, Call> _calls = [];
    private readonly Lock _clientWrite = new();
    private readonly RequestSink _requests = new();
    private readonly ResponseSink _responses = new();
    private int _lastPassed; // the highest client stream passed to the service; under _calls
    private volatile bool _draining;
    private volatile bool _serviceGone;
    private volatile bool _clientGone;
    private bool _goAwayPending; // under _clientWrite
    private bool _goAwaySent; // under _clientWrite
    private bool _atBoundary = true; // of what went to the client; under _clientWrite
    private int _lastAnnounced = int.MaxValue; // the lowest last stream of a GOAWAY sent to the client; under _clientWrite
    private readonly List<int> _serviceGoAways = []; // where this read's GOAWAYs from the service name their last stream

    public GrpcRelay(ServiceActivator activator, CallerConnection caller, ForwardingErrorLog errors, Socket client, Socket upstream, ServiceEndpoint endpoint)
    {
        _activator = activator;
        _caller = caller;
        _errors = errors;
        _client = client;
        _upstream = upstream;
        _endpoint = endpoint;
    }

    private string Name => _activator.Service.Name;

    /// <summary>Relays until both sides are done; the calling thread carries the client's side.</summary>
    public void Run()
    {
        var fromService = new Thread(() => ServiceToClient(), 128 * 1024) { IsBackground = true, Name = "meshdev grpc relay" };
        fromService.Start();
        ClientToService();
        fromService.Join();
        EndOpenCalls(_clientGone ? 499 : 502);
        _client.Dispose();
        _upstream.Dispose();
    }

    /// <summary>
    /// No new stream goes to the service from here on: the client is told with a GOAWAY, as soon as the frames going
    /// to it are at a boundary.
    /// </summary>
    public void Drain()
    {
        _draining = true;
        lock (_clientWrite)
        {
            _goAwayPending = true;
            FlushGoAwayLocked();
        }
    }

    /// <summary>Cuts both connections (the mesh is stopping).</summary>
    public void Abort()
    {
        _client.Close(0);
        _upstream.Close(0);
    }

    private void ClientToService()
    {
        var walk = new FrameWalk { PrefaceLeft = HttpWire.Http2Preface.Length };
        try
        {
            var ended = Pump(_client, walk, toClient: false);
            _clientGone = !_serviceGone;
            if (ended && !_serviceGone)
            {
                _upstream.Shutdown(SocketShutdown.Send);
            }
            else
            {
                Abort();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _clientGone = !_serviceGone;
            Abort();
        }
    }

    private void ServiceToClient()
    {
        var walk = new FrameWalk();
        bool ended;
        try
        {
            ended = Pump(_upstream, walk, toClient: true);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            ended = false;
        }

        _serviceGone = true;
        _draining = true;
        try
        {
            EndForClient(ended);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Abort();
        }
    }

    /// <summary>
    /// The service's side ended (<paramref name="cleanly"/>: it closed its sending): calls still open end with
    /// UNAVAILABLE, the client gets a GOAWAY and, once it closes (or after a while), the connection ends.
    /// </summary>
    private void EndForClient(bool cleanly)
    {
        List<(int Stream, Call Call)> open;
        lock (_calls)
        {
            open = [.. _calls.Select(c => (c.Key, c.Value))];
        }

        if (open.Count > 0 && !_clientGone)
        {
            var cause = cleanly ? "it closed the connection" : "the connection was reset";
            _errors.Report(Name, ForwardingOutcome.ServiceUnreachable, $"{_endpoint} ended {open.Count} open gRPC call(s): {cause}");
            var message = HttpWire.PercentEncodeGrpcMessage(GrpcResponses.Shorten($"service '{Name}' ended the call before its status: {cause} ({_endpoint})"));
            lock (_clientWrite)
            {
                if (_atBoundary)
                {
                    foreach (var (stream, call) in open)
                    {
                        SendAll(_client, Http2Frames.GrpcStatusFrame(stream, call.ResponseStarted, GrpcResponses.Unavailable, message));
                    }
                }
            }

            EndOpenCalls(502);
        }

        lock (_clientWrite)
        {
            _goAwayPending = true;
            FlushGoAwayLocked();
            if (!_goAwaySent)
            {
                // Cut inside a frame: nothing more can be written that the client could read.
                Abort();
                return;
            }
        }

        _client.Shutdown(SocketShutdown.Send);
    }

    private void FlushGoAwayLocked()
    {
        if (!_goAwayPending || _goAwaySent || !_atBoundary)
        {
            return;
        }

        int last;
        lock (_calls)
        {
            last = Math.Min(_lastPassed, _lastAnnounced);
        }

        try
        {
            SendAll(_client, Http2Frames.GoAwayFrame(last));
            _goAwaySent = true;
            _lastAnnounced = last;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The client is gone; its own side ends the relay.
        }
    }

    /// <summary>
    /// Passes frames from <paramref name="from"/> on until it ends its sending (true) or fails (false). A frame
    /// header split across reads is held back until it is whole, so what was sent always ends between frames or
    /// inside a payload, never inside a header.
    /// </summary>
    private bool Pump(Socket from, FrameWalk walk, bool toClient)
    {
        var to = toClient ? _client : _upstream;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            var carry = 0;
            while (true)
            {
                if (!toClient && _serviceGone && !from.Poll(ClientCloseWaitMicroseconds, SelectMode.SelectRead))
                {
                    return false;
                }

                var read = from.Receive(buffer, carry, buffer.Length - carry, SocketFlags.None);
                if (read == 0)
                {
                    return true;
                }

                var end = carry + read;
                var position = 0;
                // A frame being dropped may go on for several reads: none of its bytes is sent until it ends.
                var sendFrom = walk.Dropping ? -1 : 0;
                carry = 0;
                if (toClient)
                {
                    _serviceGoAways.Clear();
                }

                if (walk.PrefaceLeft > 0)
                {
                    var take = Math.Min(walk.PrefaceLeft, end);
                    walk.PrefaceLeft -= take;
                    position = take;
                }

                while (position < end)
                {
                    if (walk.Remaining == 0)
                    {
                        if (end - position < Http2Frames.HeaderLength)
                        {
                            carry = end - position;
                            break;
                        }

                        walk.Begin(buffer.AsSpan(position, Http2Frames.HeaderLength));
                        var frameStart = position;
                        position += Http2Frames.HeaderLength;
                        walk.Dropping = !toClient && !PassFromClient(walk);
                        if (toClient && walk.Type == Http2Frames.GoAway && end - position >= 4)
                        {
                            _serviceGoAways.Add(position);
                        }

                        if (walk.Dropping && sendFrom >= 0)
                        {
                            Send(to, buffer, sendFrom, frameStart - sendFrom, toClient, walk);
                            sendFrom = -1;
                        }
                    }
                    else
                    {
                        var take = Math.Min(walk.Remaining, end - position);
                        if (walk.Gathers)
                        {
                            walk.Gather(buffer.AsSpan(position, take));
                        }

                        position += take;
                        walk.Remaining -= take;
                    }

                    if (walk.Remaining == 0)
                    {
                        if (walk.Dropping)
                        {
                            walk.Dropping = false;
                            sendFrom = position;
                        }
                        else if (toClient)
                        {
                            EndServiceFrame(walk);
                        }
                        else
                        {
                            EndClientFrame(walk);
                        }
                    }
                }

                var sendEnd = end - carry;
                if (sendFrom >= 0 && sendEnd > sendFrom)
                {
                    Send(to, buffer, sendFrom, sendEnd - sendFrom, toClient, walk);
                }
                else if (toClient)
                {
                    lock (_clientWrite)
                    {
                        _atBoundary = walk.AtBoundary;
                        FlushGoAwayLocked();
                    }
                }

                if (carry > 0)
                {
                    Buffer.BlockCopy(buffer, end - carry, buffer, 0, carry);
                }
            }
        }
        catch (HpackException)
        {
            // A header block the relay cannot read: the HTTP/2 peer would fail it too. Nothing is counted right from here.
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Send(Socket to, byte[] buffer, int offset, int count, bool toClient, FrameWalk walk)
    {
        if (!toClient)
        {
            if (!_serviceGone)
            {
                SendAll(to, buffer.AsSpan(offset, count));
            }

            return;
        }

        lock (_clientWrite)
        {
            LowerServiceGoAwaysLocked(buffer);
            SendAll(to, buffer.AsSpan(offset, count));
            _atBoundary = walk.AtBoundary;
            FlushGoAwayLocked();
        }
    }

    /// <summary>
    /// A GOAWAY may not name a higher last stream than one the client was sent before (nghttp2 clients, grpc-js among
    /// them, fail the whole connection): the service's graceful 2^31-1 after the relay's own is lowered to the relay's.
    /// </summary>
    private void LowerServiceGoAwaysLocked(byte[] buffer)
    {
        foreach (var at in _serviceGoAways)
        {
            var field = buffer.AsSpan(at, 4);
            var last = (int)(BinaryPrimitives.ReadUInt32BigEndian(field) & 0x7FFF_FFFF);
            if (last > _lastAnnounced)
            {
                BinaryPrimitives.WriteInt32BigEndian(field, _lastAnnounced);
            }

            _lastAnnounced = Math.Min(last, _lastAnnounced);
        }

        _serviceGoAways.Clear();
    }

    private static void SendAll(Socket to, ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[to.Send(bytes, SocketFlags.None)..];
        }
    }

    /// <summary>
    /// At a client frame's header: whether it goes to the service. A HEADERS frame of a new stream is a call, which
    /// needs a lease of the instance this connection reaches; without one the connection drains.
    /// </summary>
    private bool PassFromClient(FrameWalk walk)
    {
        if (walk.Stream == 0)
        {
            return !_serviceGone;
        }

        lock (_calls)
        {
            if (walk.Stream <= _lastPassed)
            {
                return !_serviceGone;
            }
        }

        if (walk.Type != Http2Frames.Headers)
        {
            // PRIORITY for a stream not opened yet, or a frame of a stream dropped while draining.
            return !_draining;
        }

        if (!_draining && _activator.TryAcquire(out var lease))
        {
            if (lease.Endpoint == _endpoint)
            {
                var call = new Call(lease, _caller.BeginCall(Name));
                lock (_calls)
                {
                    _calls[walk.Stream] = call;
                    _lastPassed = walk.Stream;
                }

                return true;
            }

            lease.Dispose();
        }

        Drain();
        return false;
    }

    private void EndClientFrame(FrameWalk walk)
    {
        switch (walk.Type)
        {
            case Http2Frames.Headers or Http2Frames.Continuation:
                var call = Find(walk.BlockStream);
                _requests.Call = call is { Method: null } ? call : null;
                walk.EndHeaderFrame(_requests);
                break;
            case Http2Frames.RstStream:
                EndCall(walk.Stream, 499);
                break;
        }
    }

    private void EndServiceFrame(FrameWalk walk)
    {
        switch (walk.Type)
        {
            case Http2Frames.Headers or Http2Frames.Continuation or Http2Frames.PushPromise:
                var call = walk.Type == Http2Frames.PushPromise ? null : Find(walk.BlockStream);
                _responses.Call = call is { ResponseStarted: false } ? call : null;
                if (walk.EndHeaderFrame(_responses))
                {
                    if (call is not null)
                    {
                        call.ResponseStarted = true;
                    }

                    if (walk.BlockEndsStream)
                    {
                        EndCall(walk.BlockStream, call?.Status ?? 200);
                    }
                }

                break;
            case Http2Frames.Data when (walk.Flags & Http2Frames.EndStream) != 0:
                EndCall(walk.Stream, Find(walk.Stream)?.Status ?? 200);
                break;
            case Http2Frames.RstStream:
                EndCall(walk.Stream, Find(walk.Stream) is { ResponseStarted: true } started ? started.Status : 502);
                break;
            case Http2Frames.GoAway:
                // Streams after its last were not processed: the client sends them again elsewhere.
                _draining = true;
                var last = walk.GoAwayLastStream;
                List<int> unprocessed;
                lock (_calls)
                {
                    unprocessed = [.. _calls.Keys.Where(s => s > last)];
                }

                foreach (var stream in unprocessed)
                {
                    if (Remove(stream) is { } refused)
                    {
                        refused.Lease.Dispose();
                    }
                }

                break;
        }
    }

    private Call? Find(int stream)
    {
        lock (_calls)
        {
            return _calls.GetValueOrDefault(stream);
        }
    }

    private Call? Remove(int stream)
    {
        lock (_calls)
        {
            return _calls.Remove(stream, out var call) ? call : null;
        }
    }

    private void EndCall(int stream, int status)
    {
        if (Remove(stream) is not { } call)
        {
            return;
        }

        call.Lease.Dispose();
        _caller.EndCall(Name, call.Method ?? "POST", call.Path, status, call.Started);
        if (_caller.Link is { } link && link.IsDirect(Name))
        {
            // As the HTTP path does for a pod's connection: its next one goes pod to pod.
            Drain();
        }
    }

    private void EndOpenCalls(int status)
    {
        List<int> open;
        lock (_calls)
        {
            open = [.. _calls.Keys];
        }

        foreach (var stream in open)
        {
            EndCall(stream, status);
        }
    }

    private sealed class Call(ActivityLease lease, long started)
    {
        public ActivityLease Lease { get; } = lease;
        public long Started { get; } = started;
        public string? Method { get; set; }
        public string? Path { get; set; }
        public int Status { get; set; } = 200;
        public bool ResponseStarted { get; set; }
    }

    /// <summary>Takes a new call's method and path from its request header block.</summary>
    private sealed class RequestSink : IHeaderSink
    {
        public Call? Call { get; set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (Call is null || name.IsEmpty || name[0] != (byte)':')
            {
                return;
            }

            if (name.SequenceEqual(":method"u8))
            {
                Call.Method = value.SequenceEqual("POST"u8) ? "POST" : Encoding.Latin1.GetString(value);
            }
            else if (name.SequenceEqual(":path"u8))
            {
                Call.Path = Encoding.Latin1.GetString(value);
            }
        }
    }

    /// <summary>Takes a call's HTTP status from its first response header block.</summary>
    private sealed class ResponseSink : IHeaderSink
    {
        public Call? Call { get; set; }

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
        {
            if (Call is not null && name.SequenceEqual(":status"u8)
                && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var status))
            {
                Call.Status = status;
            }
        }
    }
}
