using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// The mesh's HTTP/1.x connection to a service instance: the socket's bytes, unchanged, with two exceptions that keep
/// the mesh transparent to servers HttpClient otherwise mistreats.
/// </summary>
/// <remarks>
/// <para>HTTP/1.0 without keep-alive: such a server (python's <c>http.server</c>) answers and closes, but HttpClient
/// keeps the connection for the next request when the response has no <c>Connection: close</c>, and that request then
/// meets the server's close (half of all requests failed under load). The first response's status line says which
/// protocol the server speaks; for <c>HTTP/1.0</c> a <c>Connection: close</c> line is added after it, so the client
/// closes the connection as HTTP/1.0 requires. A server that asked for keep-alive loses it, which costs a connection
/// per request and nothing else. Later responses on a connection are never inspected.</para>
/// <para>A connection that ends, or is reset, before any byte of the response to the request just written arrived is
/// reported as <see cref="NothingReceivedException"/>: the one failure after which a request without a body can be
/// sent again safely (<see cref="ServiceForwarder"/> decides whether to).</para>
/// <para>A server that speaks only HTTP/2 without TLS (Node's <c>http2.createServer</c>, Kestrel with <c>Http2</c> only)
/// answers an HTTP/1.1 request line with its connection preface, a SETTINGS frame, and closes; Kestrel with
/// <c>Http2</c> only instead answers with one fixed 400 response before it closes (<see cref="KestrelRefusal"/>). Both are
/// reported as <see cref="Http2OnlyServiceException"/>, so the request can go again over HTTP/2.</para>
/// </remarks>
internal sealed class ServiceConnection(Socket socket, Action? answered) : NetworkStream(socket, ownsSocket: true)
{
    private const int MaxStatusLine = 1024;

    private static ReadOnlySpan<byte> Http10 => "HTTP/1.0 "u8;
    private static ReadOnlySpan<byte> CloseLine => "Connection: close\r\n"u8;

    /// <summary>
    /// What Kestrel with only <c>HttpProtocols.Http2</c> writes, byte for byte, to an HTTP/1.x request before it closes
    /// (Http2Connection's InvalidHttp1xErrorResponseBytes): it read nothing of the request but its first line.
    /// </summary>
    internal static ReadOnlySpan<byte> KestrelRefusal =>
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 56\r\n\r\nAn HTTP/1.x request was sent to an HTTP/2 only endpoint."u8;

    private byte[]? _head = new byte[256]; // the first response's beginning, until its status line is complete; then null
    private int _headLength;
    private byte[]? _pending; // bytes to hand out before the socket is read again (the inspected head)
    private int _pendingOffset;
    private bool _awaitingResponse; // a request line was written and no byte has been read since
    private Action? _answered = answered; // told once, at the first response byte or when the connection ends

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _awaitingResponse |= StartsRequest(buffer.Span);
        return base.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _awaitingResponse |= StartsRequest(buffer);
        base.Write(buffer);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _head is null && _pending is null && !_awaitingResponse
            ? base.ReadAsync(buffer, cancellationToken)
            : ReadWatchedAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer) =>
        _head is null && _pending is null && !_awaitingResponse
            ? base.Read(buffer)
            : throw new NotSupportedException("the mesh reads service connections asynchronously");

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    // Pooled: the first read of every response comes here and usually waits for the service.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadWatchedAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_pending is not null)
        {
            return TakePending(buffer.Span);
        }

        if (buffer.IsEmpty)
        {
            return await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); // waits for data, takes none
        }

        int read;
        try
        {
            read = _head is null
                ? await base.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)
                : await ReadStatusLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex is not Http2OnlyServiceException && _awaitingResponse && !cancellationToken.IsCancellationRequested)
        {
            throw new NothingReceivedException(ex);
        }

        if (read == 0)
        {
            if (_awaitingResponse)
            {
                throw new NothingReceivedException(null);
            }

            return 0;
        }

        _awaitingResponse = false;
        if (_answered is not null)
        {
            _answered();
            _answered = null;
        }

        return _pending is not null ? TakePending(buffer.Span) : read;
    }

    /// <summary>Reads until the first response's status line is complete, then queues it (amended for HTTP/1.0) as pending.</summary>
    private async ValueTask<int> ReadStatusLineAsync(CancellationToken cancellationToken)
    {
        var head = _head!;
        while (true)
        {
            if (_headLength == head.Length)
            {
                if (head.Length >= MaxStatusLine)
                {
                    Queue(head, _headLength, lineEnd: -1); // not HTTP as we know it: hand it over unchanged
                    return _headLength;
                }

                Array.Resize(ref head, head.Length * 2);
                _head = head;
            }

            var read = await base.ReadAsync(head.AsMemory(_headLength), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_headLength == 0)
                {
                    return 0;
                }

                Queue(head, _headLength, lineEnd: -1);
                return _headLength;
            }

            _headLength += read;
            var received = head.AsSpan(0, _headLength);
            if (IsSettingsFrame(received) || received.SequenceEqual(KestrelRefusal))
            {
                throw new Http2OnlyServiceException();
            }

            // Kestrel's refusal may arrive in pieces: read on while it could still be that, as it closes right after.
            var lineEnd = received.IndexOf("\r\n"u8);
            if (lineEnd >= 0 && !KestrelRefusal.StartsWith(received))
            {
                Queue(head, _headLength, lineEnd);
                return _headLength;
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        _answered?.Invoke();
        _answered = null;
        base.Dispose(disposing);
    }

    private void Queue(byte[] head, int length, int lineEnd)
    {
        _head = null;
        if (lineEnd < 0 || !head.AsSpan().StartsWith(Http10))
        {
            _pending = head[..length];
            return;
        }

        var statusLine = lineEnd + 2;
        var amended = new byte[length + CloseLine.Length];
        head.AsSpan(0, statusLine).CopyTo(amended);
        CloseLine.CopyTo(amended.AsSpan(statusLine));
        head.AsSpan(statusLine, length - statusLine).CopyTo(amended.AsSpan(statusLine + CloseLine.Length));
        _pending = amended;
    }

    /// <summary>
    /// Whether a write begins a request (its first line ends in an HTTP/1.x version) rather than carrying a body: only
    /// then does the connection wait for a new response. HttpClient writes a request's head in one piece.
    /// </summary>
    private static bool StartsRequest(ReadOnlySpan<byte> bytes)
    {
        var lineEnd = bytes[..Math.Min(bytes.Length, 8192)].IndexOf("\r\n"u8);
        return lineEnd > 0 && (bytes[..lineEnd].EndsWith(" HTTP/1.1"u8) || bytes[..lineEnd].EndsWith(" HTTP/1.0"u8));
    }

    /// <summary>
    /// Whether the bytes begin with an HTTP/2 SETTINGS frame's header on stream 0 (RFC 9113 §3.4: the server's preface):
    /// length, type 0x4, flags 0 or ACK, stream 0. An HTTP/1.x status line begins "HTTP/", which never matches.
    /// </summary>
    internal static bool IsSettingsFrame(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 9 && bytes[3] == 0x4 && (bytes[4] & 0xFE) == 0 && bytes[5..9].IndexOfAnyExcept((byte)0) < 0;

    private int TakePending(Span<byte> destination)
    {
        var pending = _pending!;
        var count = Math.Min(destination.Length, pending.Length - _pendingOffset);
        pending.AsSpan(_pendingOffset, count).CopyTo(destination);
        _pendingOffset += count;
        if (_pendingOffset == pending.Length)
        {
            _pending = null;
            _pendingOffset = 0;
        }

        return count;
    }
}

/// <summary>A service answered an HTTP/1.1 request with an HTTP/2 connection preface: it speaks HTTP/2 only.</summary>
internal sealed class Http2OnlyServiceException()
    : IOException("the service answered HTTP/1.1 with HTTP/2 frames: it speaks only HTTP/2 (h2c)");

/// <summary>A service connection ended before any byte of the response to the request just sent arrived.</summary>
internal sealed class NothingReceivedException(Exception? inner)
    : IOException("the service closed the connection before sending any byte of a response", inner);
