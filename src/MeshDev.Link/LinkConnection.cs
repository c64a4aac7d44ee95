using System.Buffers;
using System.Collections.Concurrent;

namespace MeshDev.Link;

/// <summary>How one end of a link behaves.</summary>
public sealed record LinkOptions
{
    /// <summary>Streams the peer opens (the laptop's end accepts; the gateway's end opens and never accepts).</summary>
    public Func<LinkTunnel, LinkOpen, Task>? Accept { get; init; }

    /// <summary>The peer's messages on stream 0 (<see cref="FrameType.Hello"/>, <see cref="FrameType.Routes"/>, <see cref="FrameType.Report"/>).</summary>
    public Action<FrameType, byte[]>? Message { get; init; }

    /// <summary>How often a ping goes out; the link is declared dead after <see cref="DeadAfter"/> without a frame.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Silence after which the link counts as lost (a pod that vanished without closing its connection).</summary>
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(15);

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// One link between the laptop's mesh and a pod's gateway over a single byte stream that the laptop opened (a
/// port-forward): many TCP connections multiplexed as streams, each with its own flow control so one slow reader
/// never stalls the others, plus a few messages on stream 0. One reader task; frames are written by the thread that
/// sends them, or gathered into one write while another write is under way (<see cref="FrameWriter"/>).
/// </summary>
public sealed class LinkConnection : IAsyncDisposable
{
    private readonly Stream _transport;
    private readonly LinkOptions _options;
    private readonly FrameWriter _writer;
    private readonly ConcurrentDictionary<uint, LinkTunnel> _streams = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _reading;
    private readonly ITimer _keepAlive;
    private long _lastReceived;
    private int _nextStream = -1;

    /// <summary>Starts reading and writing <paramref name="transport"/> at once.</summary>
    public LinkConnection(Stream transport, LinkOptions options)
    {
        _transport = transport;
        _options = options;
        _lastReceived = options.Time.GetTimestamp();
        _writer = new FrameWriter(transport, e => Close(e switch
        {
            IOException => $"the link broke ({e.Message})",
            ObjectDisposedException or OperationCanceledException => "the link was closed",
            _ => $"the link failed ({e.Message})",
        }), _closing.Token);
        _reading = Task.Run(ReadLoopAsync);
        _keepAlive = options.Time.CreateTimer(_ => KeepAlive(), null, options.PingInterval, options.PingInterval);
    }

    /// <summary>Completes with the reason once the link is closed or lost; every open stream was reset with it.</summary>
    public Task<string> Closed => _closed.Task;

    public bool IsOpen => !_closed.Task.IsCompleted;

    /// <summary>Streams open right now.</summary>
    public int OpenStreams => _streams.Count;

    /// <summary>Opens a stream to the mesh port <paramref name="open"/> names on the laptop (the gateway's end).</summary>
    public LinkTunnel Open(LinkOpen open)
    {
        var id = (uint)Interlocked.Add(ref _nextStream, 2);
        var stream = new LinkTunnel(this, id);
        _streams[id] = stream;
        if (!IsOpen)
        {
            stream.OnReset(_closed.Task.Result);
            return stream;
        }

        Send(FrameType.Open, id, open.Encode());
        return stream;
    }

    /// <summary>Queues a message on stream 0.</summary>
    public void Send(FrameType type, byte[] payload) => Send(type, 0, payload);

    internal void Send(FrameType type, uint stream, byte[] payload) => _writer.Send(type, stream, payload, payload.Length, pooled: false);

    /// <summary>Queues a frame whose payload was rented from the shared pool; it goes back there once written.</summary>
    internal void SendPooled(FrameType type, uint stream, byte[] payload, int length) => _writer.Send(type, stream, payload, length, pooled: true);

    internal void Forget(LinkTunnel stream) => _streams.TryRemove(new KeyValuePair<uint, LinkTunnel>(stream.Id, stream));

    /// <summary>Closes the link: open streams are reset with <paramref name="reason"/>, the transport is closed.</summary>
    public void Close(string reason)
    {
        if (!_closed.TrySetResult(reason))
        {
            return;
        }

        _writer.Stop();
        _closing.Cancel();
        _transport.Dispose();
        foreach (var stream in _streams.Values)
        {
            stream.OnReset(reason);
        }

        _streams.Clear();
    }

    private void KeepAlive()
    {
        var silent = _options.Time.GetElapsedTime(Interlocked.Read(ref _lastReceived));
        if (silent > _options.DeadAfter)
        {
            Close($"no answer on the link for {silent.TotalSeconds:0} s");
            return;
        }

        Send(FrameType.Ping, new byte[8]);
    }

    private async Task ReadLoopAsync()
    {
        var reason = "the other end closed the link";
        var reader = new FrameReader(_transport);
        try
        {
            while (await reader.ReadAsync(_closing.Token).ConfigureAwait(false) is { } frame)
            {
                Interlocked.Exchange(ref _lastReceived, _options.Time.GetTimestamp());
                Dispatch(frame.Type, frame.Stream, frame.Payload, frame.Length);
            }
        }
        catch (InvalidDataException e)
        {
            reason = e.Message;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            reason = e is IOException ? $"the link broke ({e.Message})" : reason;
        }
        catch (Exception e)
        {
            // Whatever the transport throws, the link is over: a loop that died silently would leave it looking connected.
            reason = $"the link failed ({e.Message})";
        }

        Close(reason);
    }

    private void Dispatch(FrameType type, uint id, byte[] payload, int length)
    {
        if (type == FrameType.Data)
        {
            if (_streams.TryGetValue(id, out var target))
            {
                target.OnData(payload, length);
            }
            else
            {
                ArrayPool<byte>.Shared.Return(payload);
            }

            return;
        }

        var body = payload.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(payload);
        switch (type)
        {
            case FrameType.Open:
                Accept(id, body);
                break;
            case FrameType.End:
                Find(id)?.OnEnd();
                break;
            case FrameType.Reset:
                Find(id)?.OnReset(System.Text.Encoding.UTF8.GetString(body));
                break;
            case FrameType.Credit when body.Length >= 4:
                Find(id)?.OnCredit(System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(body));
                break;
            case FrameType.Ping:
                Send(FrameType.Pong, body);
                break;
            case FrameType.Pong:
                break;
            default:
                _options.Message?.Invoke(type, body);
                break;
        }
    }

    private LinkTunnel? Find(uint id) => _streams.GetValueOrDefault(id);

    private void Accept(uint id, byte[] body)
    {
        var stream = new LinkTunnel(this, id);
        if (_options.Accept is not { } accept || !_streams.TryAdd(id, stream))
        {
            Send(FrameType.Reset, id, "this end accepts no streams"u8.ToArray());
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await accept(stream, LinkOpen.Decode(body)).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                stream.Reset(e.Message);
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        Close("the link was closed");
        await _keepAlive.DisposeAsync().ConfigureAwait(false);
        await _reading.ConfigureAwait(false);
        await _writer.StopAsync().ConfigureAwait(false);

        _closing.Dispose();
    }

    /// <summary>Reads frames through one buffer, so a small frame costs no system call of its own.</summary>
    private sealed class FrameReader(Stream transport)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        /// <summary>The next frame (its payload rented from the shared pool), or null at the end of the transport.</summary>
        public async ValueTask<(FrameType Type, uint Stream, byte[] Payload, int Length)?> ReadAsync(CancellationToken cancellationToken)
        {
            if (!await FillAsync(LinkFrame.HeaderLength, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            var (type, stream, length) = LinkFrame.ReadHeader(_buffer.AsSpan(_start, LinkFrame.HeaderLength));
            if (length is < 0 or > LinkFrame.MaxPayload)
            {
                throw new InvalidDataException($"the other end is not a MeshDev link (a frame of {length} bytes)");
            }

            _start += LinkFrame.HeaderLength;
            var payload = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
            var copied = 0;
            while (copied < length)
            {
                if (_start == _end && !await FillAsync(1, cancellationToken).ConfigureAwait(false))
                {
                    ArrayPool<byte>.Shared.Return(payload);
                    throw new IOException("the link ended in the middle of a frame");
                }

                var take = Math.Min(length - copied, _end - _start);
                _buffer.AsSpan(_start, take).CopyTo(payload.AsSpan(copied));
                _start += take;
                copied += take;
            }

            return (type, stream, payload, length);
        }

        private async ValueTask<bool> FillAsync(int needed, CancellationToken cancellationToken)
        {
            if (_end - _start >= needed)
            {
                return true;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            while (_end < needed)
            {
                var read = await transport.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    if (_end == 0)
                    {
                        return false;
                    }

                    throw new IOException("the link ended in the middle of a frame");
                }

                _end += read;
            }

            return true;
        }
    }
}
