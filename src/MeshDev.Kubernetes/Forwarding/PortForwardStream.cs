using System.Buffers;
using System.Net.WebSockets;
using System.Text;

namespace MeshDev.Kubernetes.Forwarding;

/// <summary>
/// One port-forward WebSocket (<c>v4.channel.k8s.io</c>, one port) as a byte stream, for the link to a pod's gateway:
/// reads strip each message's channel byte and each channel's 2-byte port header; the kubelet's error channel ends the
/// stream with its text as the <see cref="IOException"/>'s message; writes go out on the data channel. The link to a
/// pod's gateway uses it as its transport; <see cref="PortForwardTunnel"/> reads a forwarded connection through it.
/// </summary>
internal sealed class PortForwardStream(WebSocket socket) : Stream
{
    private const byte DataChannel = 0;
    private const byte ErrorChannel = 1;
    private const int PortHeaderLength = 2;

    private readonly int[] _headerLeft = [PortHeaderLength, PortHeaderLength];
    private readonly StringBuilder _errors = new();
    private readonly SemaphoreSlim _writing = new(1, 1);
    private byte[]? _send;
    private byte _channel;
    private bool _atMessageStart = true;

    /// <summary>What the kubelet wrote on the error channel so far (e.g. nothing listens on the port in the pod); null when nothing.</summary>
    public string? ErrorText => _errors.Length > 0 ? _errors.ToString().Trim() : null;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ValueWebSocketReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException e)
            {
                // A stream's readers expect an IOException when the connection breaks (the API server went away).
                throw new IOException(e.Message, e);
            }

            if (received.MessageType == WebSocketMessageType.Close)
            {
                return ErrorText is { } error ? throw new IOException(error) : 0;
            }

            var data = buffer[..received.Count];
            if (_atMessageStart && !data.IsEmpty)
            {
                _channel = data.Span[0];
                data = data[1..];
            }

            _atMessageStart = received.EndOfMessage;
            if (_channel > ErrorChannel)
            {
                continue;
            }

            var skip = Math.Min(_headerLeft[_channel], data.Length);
            _headerLeft[_channel] -= skip;
            data = data[skip..];
            if (data.IsEmpty)
            {
                continue;
            }

            if (_channel == ErrorChannel)
            {
                _errors.Append(Encoding.UTF8.GetString(data.Span));
                continue;
            }

            // The payload sits after the channel byte (and any header): move it to the start of the caller's buffer.
            var offset = received.Count - data.Length;
            if (offset > 0)
            {
                buffer.Slice(offset, data.Length).CopyTo(buffer);
            }

            return data.Length;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _send ??= ArrayPool<byte>.Shared.Rent(64 * 1024);
            while (!buffer.IsEmpty)
            {
                var take = Math.Min(buffer.Length, _send.Length - 1);
                _send[0] = DataChannel;
                buffer[..take].CopyTo(_send.AsMemory(1));
                try
                {
                    await socket.SendAsync(_send.AsMemory(0, take + 1), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
                catch (WebSocketException e)
                {
                    throw new IOException(e.Message, e);
                }

                buffer = buffer[take..];
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            socket.Abort();
            socket.Dispose();
            _writing.Dispose();
            if (Interlocked.Exchange(ref _send, null) is { } send)
            {
                ArrayPool<byte>.Shared.Return(send);
            }
        }

        base.Dispose(disposing);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
