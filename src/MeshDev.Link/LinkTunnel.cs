using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace MeshDev.Link;

/// <summary>
/// One connection carried by a link: bytes both ways, a half-close (<see cref="End"/>) each way, or a reset with a
/// reason. Each direction has a window of <see cref="LinkFrame.InitialWindow"/> bytes that the receiver refills as it
/// consumes them, so what waits in memory per stream is bounded whatever the speed of either side.
/// </summary>
public sealed class LinkTunnel
{
    private readonly LinkConnection _link;
    private readonly Channel<(byte[] Array, int Length)> _incoming = Channel.CreateUnbounded<(byte[], int)>(new UnboundedChannelOptions
    {
        SingleReader = false,
        SingleWriter = true,

        // The link's reader hands bytes straight to the stream's reader, which passes them on (a socket write that
        // rarely waits) on the same thread: no thread hop per frame. A reader that waits does so asynchronously.
        AllowSynchronousContinuations = true,
    });
    private readonly Lock _gate = new();
    private (byte[] Array, int Length) _current;
    private int _offset;
    private int _consumed;
    private int _sendWindow = LinkFrame.InitialWindow;
    private TaskCompletionSource? _windowOpened;
    private string? _resetReason;
    private bool _localEnded;
    private bool _remoteEnded;

    internal LinkTunnel(LinkConnection link, uint id)
    {
        _link = link;
        Id = id;
    }

    public uint Id { get; }

    /// <summary>Why the stream was reset, by either end; null while it is not.</summary>
    public string? ResetReason { get { lock (_gate) { return _resetReason; } } }

    /// <summary>Reads the peer's next bytes; 0 once the peer ended its side; throws <see cref="IOException"/> when the stream was reset.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_current.Array is null)
        {
            try
            {
                if (!await _incoming.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return 0;
                }
            }
            catch (ChannelClosedException e)
            {
                throw new IOException(e.Message);
            }

            _incoming.Reader.TryRead(out _current);
            _offset = 0;
        }

        var take = Math.Min(destination.Length, _current.Length - _offset);
        _current.Array.AsSpan(_offset, take).CopyTo(destination.Span);
        _offset += take;
        if (_offset == _current.Length)
        {
            ArrayPool<byte>.Shared.Return(_current.Array);
            _current = default;
        }

        // Credit goes back in batches, one frame per quarter window: a request and its answer then cost one frame each
        // way, not two. The sender can never be stalled by what is held back: while its window is empty, at least three
        // quarters of it are on their way here or wait unread, and reading them sends credit.
        _consumed += take;
        if (_consumed >= LinkFrame.InitialWindow / 4)
        {
            var credit = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(credit, _consumed);
            _consumed = 0;
            _link.Send(FrameType.Credit, Id, credit);
        }

        return take;
    }

    /// <summary>Sends <paramref name="data"/>, waiting while the peer's window is full; throws <see cref="IOException"/> once the stream was reset.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        while (!data.IsEmpty)
        {
            int take;
            Task? wait = null;
            lock (_gate)
            {
                if (_resetReason is { } reason)
                {
                    throw new IOException(reason);
                }

                take = Math.Min(Math.Min(data.Length, LinkFrame.MaxData), _sendWindow);
                if (take == 0)
                {
                    _windowOpened ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _windowOpened.Task;
                }
                else
                {
                    _sendWindow -= take;
                }
            }

            if (wait is not null)
            {
                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            var payload = ArrayPool<byte>.Shared.Rent(take);
            data.Span[..take].CopyTo(payload);
            _link.SendPooled(FrameType.Data, Id, payload, take);
            data = data[take..];
        }
    }

    /// <summary>Half-closes: this end sends nothing more (the peer reads 0).</summary>
    public void End()
    {
        lock (_gate)
        {
            if (_localEnded || _resetReason is not null)
            {
                return;
            }

            _localEnded = true;
        }

        _link.Send(FrameType.End, Id, []);
        ForgetIfDone();
    }

    /// <summary>Cuts the stream both ways; the peer's reads and writes fail with <paramref name="reason"/>.</summary>
    public void Reset(string reason)
    {
        if (MarkReset(reason))
        {
            _link.Send(FrameType.Reset, Id, Encoding.UTF8.GetBytes(reason));
        }
    }

    /// <summary>
    /// Pipes the stream and <paramref name="socket"/> both ways until both sides ended (half-closes passed on), or
    /// either failed (the stream is reset, the socket closed at once). The socket is closed at the end.
    /// </summary>
    public async Task PipeAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        var up = SocketToStreamAsync(socket, cancellationToken);
        var down = StreamToSocketAsync(socket, cancellationToken);
        try
        {
            // One direction failing (a client that reset its connection, a stream reset by the peer) ends both at once:
            // the other would otherwise wait for bytes that never come, holding the connection and what it holds.
            if (await Task.WhenAny(up, down).ConfigureAwait(false) is { IsCompletedSuccessfully: false } failed)
            {
                await failed.ConfigureAwait(false);
            }

            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Reset(e is OperationCanceledException ? "the connection was closed" : e.Message);
            socket.LingerState = new LingerOption(true, 0); // a reset, not a clean end: the client must not take a cut response for a whole one
            socket.Dispose();
            await Task.WhenAll(up, down).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            socket.Dispose();
        }
    }

    private async Task SocketToStreamAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LinkFrame.MaxData);
        try
        {
            while (true)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(0, LinkFrame.MaxData), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    End();
                    return;
                }

                await WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception) when (ResetReason is not null)
        {
            // The peer reset the stream; the other direction reports it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task StreamToSocketAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(LinkFrame.MaxData);
        try
        {
            while (true)
            {
                var read = await ReadAsync(buffer.AsMemory(0, LinkFrame.MaxData), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    socket.Shutdown(SocketShutdown.Send);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal void OnData(byte[] array, int length)
    {
        if (!_incoming.Writer.TryWrite((array, length)))
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    internal void OnEnd()
    {
        lock (_gate)
        {
            _remoteEnded = true;
        }

        // Forgotten before the reader learns of the end: its continuation may run right here, and what it sees of the
        // link (its open streams) must already be true.
        ForgetIfDone();
        _incoming.Writer.TryComplete();
    }

    internal void OnCredit(int bytes)
    {
        TaskCompletionSource? opened;
        lock (_gate)
        {
            _sendWindow += bytes;
            opened = _windowOpened;
            _windowOpened = null;
        }

        opened?.TrySetResult();
    }

    internal void OnReset(string reason) => MarkReset(reason);

    private bool MarkReset(string reason)
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            if (_resetReason is not null || (_localEnded && _remoteEnded))
            {
                return false;
            }

            _resetReason = reason;
            waiting = _windowOpened;
            _windowOpened = null;
        }

        _link.Forget(this);
        _incoming.Writer.TryComplete(new ChannelClosedException(reason));
        waiting?.TrySetException(new IOException(reason));
        return true;
    }

    private void ForgetIfDone()
    {
        lock (_gate)
        {
            if (!(_localEnded && _remoteEnded))
            {
                return;
            }
        }

        _link.Forget(this);
    }
}
