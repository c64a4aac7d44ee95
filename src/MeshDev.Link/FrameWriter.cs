using System.Buffers;
using System.Collections.Concurrent;

namespace MeshDev.Link;

/// <summary>
/// Writes a link's frames to its transport without a writer task to wake: the sender that finds no write under way
/// writes what is queued itself, and frames queued meanwhile by others go out after it, gathered into one write. A
/// write that has to wait for the transport holds no sender up: they queue and return.
/// </summary>
internal sealed class FrameWriter(Stream transport, Action<Exception> failed, CancellationToken cancellationToken)
{
    private const int BufferSize = 64 * 1024;

    private readonly ConcurrentQueue<Frame> _queue = new();
    private byte[] _buffer = new byte[BufferSize];
    private int _draining;
    private volatile bool _stopped;
    private Task _drain = Task.CompletedTask;

    /// <summary>Queues a frame and, unless a write is under way, writes what is queued now; a pooled payload goes back to the pool once copied.</summary>
    public void Send(FrameType type, uint stream, byte[] payload, int length, bool pooled)
    {
        if (_stopped)
        {
            Release(payload, pooled);
            return;
        }

        _queue.Enqueue(new Frame(type, stream, payload, length, pooled));
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                // Right after what this pool thread is running now, on the same thread (no wake-up): the frames other
                // threads queue in the same burst (many streams answering at once) then share one write, one system call
                // and, through a port-forward, one WebSocket message.
                ThreadPool.UnsafeQueueUserWorkItem(static writer => writer._drain = writer.DrainAsync(), this, preferLocal: true);
            }
            else
            {
                // Not a pool thread (the gateway's socket event thread, which runs its relaying inline; a timer): at once.
                _drain = DrainAsync();
            }
        }
    }

    /// <summary>Writes nothing more (the write under way, if any, ends on its own).</summary>
    public void Stop() => _stopped = true;

    /// <summary>Writes nothing more; once the write under way ended, the frames left are dropped.</summary>
    public async Task StopAsync()
    {
        Stop();
        await Volatile.Read(ref _drain).ConfigureAwait(false);
        while (_queue.TryDequeue(out var frame))
        {
            Release(frame.Payload, frame.Pooled);
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            do
            {
                await WriteQueuedAsync().ConfigureAwait(false);
                Volatile.Write(ref _draining, 0);

                // A frame queued after the queue looked empty but before the flag dropped found the writer busy: take it.
            }
            while (!_queue.IsEmpty && !_stopped && Interlocked.CompareExchange(ref _draining, 1, 0) == 0);
        }
        catch (Exception e)
        {
            // The flag stays up: nothing more is written to a broken transport.
            _stopped = true;
            failed(e);
        }
    }

    private async Task WriteQueuedAsync()
    {
        var used = 0;
        while (!_stopped && _queue.TryDequeue(out var frame))
        {
            var size = LinkFrame.HeaderLength + frame.Length;
            if (used > 0 && used + size > _buffer.Length)
            {
                await transport.WriteAsync(_buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                used = 0;
            }

            if (size > _buffer.Length)
            {
                _buffer = new byte[size];
            }

            LinkFrame.WriteHeader(_buffer.AsSpan(used), frame.Type, frame.Stream, frame.Length);
            frame.Payload.AsSpan(0, frame.Length).CopyTo(_buffer.AsSpan(used + LinkFrame.HeaderLength));
            used += size;
            Release(frame.Payload, frame.Pooled);
        }

        if (used > 0)
        {
            await transport.WriteAsync(_buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
            await transport.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void Release(byte[] payload, bool pooled)
    {
        if (pooled)
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
    }

    private readonly record struct Frame(FrameType Type, uint Stream, byte[] Payload, int Length, bool Pooled);
}
