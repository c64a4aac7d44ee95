using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using MeshDev.Link;
using MeshDev.Link.Hpack;
using MeshDev.Testing;

namespace MeshDev.Proxy.Tests.Hpack;

/// <summary>
/// Just enough of an h2c server to capture a real client's request header blocks: it takes one connection, answers
/// SETTINGS and PING, decodes each HEADERS (+CONTINUATION) block with one <see cref="HpackDecoder"/> and answers the
/// stream with a HEADERS frame holding only :status 200 (static index 8) and END_STREAM.
/// </summary>
internal sealed class Http2HeaderCapture : IAsyncDisposable
{
    private const byte Data = 0, Headers = 1, Settings = 4, Ping = 6, Continuation = 9;
    private const byte Ack = 0x1, EndStream = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public Http2HeaderCapture()
    {
        Port = TestPorts.Free();
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _serving = ServeAsync(_stop.Token);
    }

    public int Port { get; }

    public HpackDecoder Decoder { get; } = new();

    /// <summary>Each request's decoded fields, in the order the blocks arrived.</summary>
    public List<List<(string Name, string Value)>> Requests { get; } = [];

    /// <summary>Waits for the client to close the connection; throws what went wrong serving it.</summary>
    public async Task WaitForCloseAsync() => await _serving;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception)
        {
            // Already reported by WaitForCloseAsync when the test wanted it; disposing only cleans up.
        }

        _stop.Dispose();
    }

    private async Task ServeAsync(CancellationToken cancellation)
    {
        using var socket = await _listener.AcceptSocketAsync(cancellation);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var preface = new byte[HttpWire.Http2Preface.Length];
        await stream.ReadExactlyAsync(preface, cancellation);
        Assert.Equal(HttpWire.Http2Preface.ToArray(), preface);
        await WriteFrameAsync(stream, Settings, 0, 0, [], cancellation);

        var block = new MemoryStream();
        var header = new byte[9];
        while (await ReadHeaderAsync(stream, header, cancellation))
        {
            var length = (header[0] << 16) | (header[1] << 8) | header[2];
            var (type, flags) = (header[3], header[4]);
            var streamId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF;
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, cancellation);
            switch (type)
            {
                case Settings when (flags & Ack) == 0:
                    await WriteFrameAsync(stream, Settings, Ack, 0, [], cancellation);
                    break;
                case Ping when (flags & Ack) == 0:
                    await WriteFrameAsync(stream, Ping, Ack, 0, payload, cancellation);
                    break;
                case Headers or Continuation:
                    block.Write(type == Headers ? Fragment(payload, flags) : payload);
                    if ((flags & EndHeaders) != 0)
                    {
                        var sink = new HeaderList();
                        Decoder.Decode(block.ToArray(), sink);
                        Requests.Add(sink.Fields);
                        block.SetLength(0);
                        await WriteFrameAsync(stream, Headers, EndHeaders | EndStream, streamId, [0x88], cancellation);
                    }

                    break;
                case Data:
                    break; // a body is not what this capture is about
            }
        }
    }

    /// <summary>A HEADERS payload without its padding and priority fields (RFC 9113 §6.2).</summary>
    private static ReadOnlySpan<byte> Fragment(byte[] payload, byte flags)
    {
        var fragment = payload.AsSpan();
        if ((flags & Padded) != 0)
        {
            fragment = fragment[1..^payload[0]];
        }

        return (flags & Priority) != 0 ? fragment[5..] : fragment;
    }

    private static async Task<bool> ReadHeaderAsync(NetworkStream stream, byte[] header, CancellationToken cancellation)
    {
        try
        {
            await stream.ReadExactlyAsync(header, cancellation);
            return true;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException)
        {
            return false; // the client closed the connection
        }
    }

    private static async Task WriteFrameAsync(
        NetworkStream stream, byte type, byte flags, int streamId, byte[] payload, CancellationToken cancellation) =>
        await stream.WriteAsync(MeshDev.Link.HttpWire.Frame(type, flags, streamId, payload), cancellation);
}
