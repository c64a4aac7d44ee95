using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Proxy.Forwarding;

/// <summary>
/// A caller's request body that keeps the bytes read from it, up to a limit, so the request can be sent once more from
/// its first byte: the first request with a body to an instance that turns out to speak only HTTP/2 (h2c) has had its
/// body read by the HTTP/1.1 attempt by the time the service refuses it. Past the limit nothing is kept and the request
/// cannot go again; bytes not yet read are read from the caller as usual, so a long upload still streams.
/// </summary>
internal sealed class ReplayableRequestBody : Stream
{
    /// <summary>The most a request's body keeps for a resend: the small bodies of ordinary calls, not uploads.</summary>
    internal const int Limit = 64 * 1024;

    private readonly Stream _caller;
    private ArrayBufferWriter<byte>? _kept = new(); // null once more than Limit was read
    private bool _keeping = true; // false after the rewind: the resend is the last chance, nothing more to keep
    private ReadOnlyMemory<byte> _replay; // kept bytes still to hand out after the rewind

    private ReplayableRequestBody(Stream caller) => _caller = caller;

    /// <summary>Puts a <see cref="ReplayableRequestBody"/> in front of <paramref name="request"/>'s body; undone by <see cref="Restore"/>.</summary>
    public static ReplayableRequestBody Wrap(HttpRequest request)
    {
        var body = new ReplayableRequestBody(request.Body);
        request.Body = body;
        return body;
    }

    /// <summary>Gives <paramref name="request"/> back the caller's own body.</summary>
    public void Restore(HttpRequest request) => request.Body = _caller;

    /// <summary>
    /// Starts the body again from its first byte: true when every byte read so far was kept (or none was read), false
    /// when more than <see cref="Limit"/> was read. Once only.
    /// </summary>
    public bool Rewind()
    {
        if (!_keeping || _kept is null)
        {
            return false;
        }

        _keeping = false;
        _replay = _kept.WrittenMemory;
        return true;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_replay.IsEmpty && !buffer.IsEmpty)
        {
            return TakeReplay(buffer.Span);
        }

        var read = await _caller.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Keep(buffer.Span[..read]);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        if (!_replay.IsEmpty && !buffer.IsEmpty)
        {
            return TakeReplay(buffer);
        }

        var read = _caller.Read(buffer);
        Keep(buffer[..read]);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void Keep(ReadOnlySpan<byte> read)
    {
        if (!_keeping || _kept is null || read.IsEmpty)
        {
            return;
        }

        if (_kept.WrittenCount + read.Length > Limit)
        {
            _kept = null;
            return;
        }

        _kept.Write(read);
    }

    private int TakeReplay(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _replay.Length);
        _replay.Span[..count].CopyTo(destination);
        _replay = _replay[count..];
        return count;
    }
}
