using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using MeshDev.Activation;
using MeshDev.Calls;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Link.Hpack;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>
/// The gRPC relay reads every frame as it passes, whatever the reads cut: a hand-written h2c client sends one call to
/// the ready gRPC test service with its frames cut inside a frame header and inside a header block, the request header
/// block padded, with a priority, and continued in a CONTINUATION frame. The call must reach the service intact and be
/// counted with its path, as a well-behaved client's is. A call the relay drops (the service is stopping) must leave
/// nothing on the service's connection, however many reads its frames take.
/// </summary>
public sealed class GrpcRelayFramingTests
{
    private const string SayPath = "/meshdev.test.v1.Echo/Say";
    private const int SigCont = 18;

    [Fact]
    public async Task A_call_whose_frames_are_cut_anywhere_padded_and_continued_passes_intact_and_counts_with_its_path()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        using (var launcher = new DotnetGrpcClient(port))
        {
            await launcher.Echo.SayAsync(new MeshDev.GrpcTest.V1.EchoRequest { Text = "launch" }, deadline: DotnetGrpcClient.Deadline);
        }

        var before = mesh.Service("echo").Requests;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);

        var block = Literal(":method", "POST").Concat(Literal(":scheme", "http")).Concat(Literal(":path", SayPath))
            .Concat(Literal(":authority", $"127.0.0.1:{port}")).Concat(Literal("content-type", "application/grpc"))
            .Concat(Literal("te", "trailers")).ToArray();
        var half = block.Length / 2;
        // HEADERS with PADDED (pad length 3) and PRIORITY (5 bytes), without END_HEADERS; then a CONTINUATION.
        byte[] headersPayload = [3, 0, 0, 0, 0, 15, .. block[..half], 0, 0, 0];
        byte[] sayHi = [0, 0, 0, 0, 4, 0x0A, 2, (byte)'h', (byte)'i'];
        byte[] wire =
        [
            .. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8,
            .. Frame(0x4, 0, 0, []),
            .. Frame(0x1, 0x8 | 0x20, 1, headersPayload),
            .. Frame(0x9, 0x4, 1, block[half..]),
            .. Frame(0x0, 0x1, 1, sayHi),
        ];

        // Cut inside the first frame header, inside the HEADERS payload, inside the CONTINUATION's header, and between
        // the DATA frame's header and its payload: each piece is sent on its own, so the relay's reads end there.
        var preface = 24;
        int[] cuts = [preface + 4, preface + 9 + 9 + 7, preface + 9 + 9 + headersPayload.Length + 3, wire.Length - sayHi.Length];
        var from = 0;
        foreach (var cut in cuts.Append(wire.Length))
        {
            await socket.SendAsync(wire.AsMemory(from, cut - from));
            from = cut;
            await Task.Delay(50); // lets the piece arrive alone; nothing is asserted about time
        }

        var (status, grpcStatus, authority, data) = await ReadResponseAsync(socket);

        Assert.Equal("200", status);
        Assert.Equal("0", grpcStatus);
        Assert.Equal($"127.0.0.1:{port}", authority); // relayed: the service saw this client's own :authority
        Assert.Contains("hi", Encoding.ASCII.GetString(data));
        Assert.Equal(before + 1, mesh.Service("echo").Requests);
        await Eventually.UntilAsync(
            () => mesh.Host.CallGraph.Snapshot().Recent.Count(r => r is { Caller: CallGraph.External, Service: "echo", Method: "POST", Path: SayPath, Status: 200 }) == 2,
            "the launch call and the hand-written call among the recent requests, with their path and status");
    }

    [Fact]
    public async Task A_new_stream_dropped_while_draining_leaves_nothing_of_its_frames_on_the_services_connection()
    {
        // A long grace period: the stopping service keeps the connection while its Hang call is open.
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo", null, "stopGracePeriod: 60s"));
        var port = mesh.MeshPort("echo");
        using (var launcher = new DotnetGrpcClient(port))
        {
            await launcher.Echo.SayAsync(new MeshDev.GrpcTest.V1.EchoRequest { Text = "launch" }, deadline: DotnetGrpcClient.Deadline);
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        byte[] empty = [0, 0, 0, 0, 0];
        byte[] opening =
        [
            .. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8,
            .. Frame(0x4, 0, 0, []),
            .. Frame(0x1, 0x4, 1, RequestBlock("/meshdev.test.v1.Echo/Hang", port)),
            .. Frame(0x0, 0x1, 1, empty),
        ];
        await socket.SendAsync(opening);
        await Eventually.UntilAsync(() => mesh.Service("echo").InFlight == 1, "the Hang call in flight");

        var stopping = mesh.Service("echo").StopAsync();
        await mesh.WaitForStateAsync("echo", ServiceState.Stopping);

        // A call the client sent before it could see any GOAWAY: the relay drops it. Its DATA frame comes in three
        // reads, the middle one entirely inside the payload (zeros: read as frames, a DATA frame on stream 0).
        byte[] call = [.. Frame(0x1, 0x4, 3, RequestBlock(SayPath, port)), .. Frame(0x0, 0x1, 3, new byte[16_000])];
        int[] cuts = [call.Length - 12_000, call.Length - 4_000, call.Length];
        var from = 0;
        foreach (var cut in cuts)
        {
            await socket.SendAsync(call.AsMemory(from, cut - from));
            from = cut;
            await Task.Delay(50); // lets the piece arrive alone; nothing is asserted about time
        }

        // The service's connection must still be whole: it answers a PING, and ends nothing with an error.
        byte[] opaque = [.. "relaytst"u8];
        await socket.SendAsync(Frame(0x6, 0, 0, opaque));
        var goAways = await ReadGoAwaysAsync(socket, (type, flags, payload) => type == 0x6 && (flags & 0x1) != 0 && payload.SequenceEqual(opaque));

        Assert.All(goAways, g => Assert.Equal(0, g.Code));
        Assert.Equal(1, mesh.Service("echo").InFlight);
        socket.Close(0);
        await stopping;
    }

    [Fact]
    public async Task The_GOAWAYs_a_relayed_client_is_sent_never_name_a_higher_stream_than_an_earlier_one()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        var port = mesh.MeshPort("echo");
        using (var launcher = new DotnetGrpcClient(port))
        {
            await launcher.Echo.SayAsync(new MeshDev.GrpcTest.V1.EchoRequest { Text = "launch" }, deadline: DotnetGrpcClient.Deadline);
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        byte[] opening =
        [
            .. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8,
            .. Frame(0x4, 0, 0, []),
            .. Frame(0x1, 0x4, 1, RequestBlock("/meshdev.test.v1.Echo/Hang", port)),
            .. Frame(0x0, 0x1, 1, [0, 0, 0, 0, 0]),
        ];
        await socket.SendAsync(opening);
        await Eventually.UntilAsync(() => mesh.Service("echo").InFlight == 1, "the Hang call in flight");

        // Paused (at a breakpoint, say), the service cannot answer the stop with its own GOAWAY before the relay's.
        var pid = Assert.Single(mesh.FindTaggedProcesses()).Pid;
        await PausedProcess.StopAsync(pid);
        Task stopping;
        List<(int Last, int Code)> goAways;
        try
        {
            stopping = mesh.Service("echo").StopAsync();
            await mesh.WaitForStateAsync("echo", ServiceState.Stopping);
            await socket.SendAsync(Frame(0x1, 0x5, 3, RequestBlock(SayPath, port)));
            goAways = await ReadGoAwaysAsync(socket, (type, _, _) => type == 0x7);
        }
        finally
        {
            UnixProcess.SignalProcess(pid, SigCont);
        }

        // Resumed, the service takes its SIGTERM: Kestrel's graceful GOAWAY (2^31-1 first), then the end once killed.
        goAways.AddRange(await ReadGoAwaysAsync(socket, until: null));

        Assert.True(goAways.Count >= 2, $"GOAWAYs: {string.Join(", ", goAways)}");
        Assert.Equal(1, goAways[0].Last); // the relay's: stream 3 was not passed on, the client may send it again
        for (var i = 1; i < goAways.Count; i++)
        {
            Assert.True(goAways[i].Last <= goAways[i - 1].Last, $"a GOAWAY named a higher stream than an earlier one: {string.Join(", ", goAways)}");
        }

        await stopping;
    }

    /// <summary>
    /// Reads frames until <paramref name="until"/> matches one (type, flags, payload), or, without it, until the
    /// connection closes; returns the last stream and error code of every GOAWAY read.
    /// </summary>
    private static async Task<List<(int Last, int Code)>> ReadGoAwaysAsync(Socket socket, Func<byte, byte, byte[], bool>? until)
    {
        var goAways = new List<(int Last, int Code)>();
        var matched = await ReadFramesAsync(socket, (type, flags, _, payload) =>
        {
            if (type == 0x7)
            {
                goAways.Add((BinaryPrimitives.ReadInt32BigEndian(payload) & 0x7FFF_FFFF, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4))));
            }

            return until?.Invoke(type, flags, payload) == true;
        });
        return matched || until is null ? goAways : throw new InvalidOperationException($"the connection closed first (GOAWAYs: {string.Join(", ", goAways)})");
    }

    /// <summary>
    /// Reads whole frames, handing each (type, flags, stream, payload) to <paramref name="frame"/> until it returns
    /// true (then true), or until the connection closes (then false).
    /// </summary>
    private static async Task<bool> ReadFramesAsync(Socket socket, Func<byte, byte, int, byte[], bool> frame)
    {
        var buffer = new List<byte>();
        var chunk = new byte[16 * 1024];
        using var timeout = new CancellationTokenSource(Eventually.Deadline);
        while (true)
        {
            while (buffer.Count >= 9 && buffer.Count >= 9 + ((buffer[0] << 16) | (buffer[1] << 8) | buffer[2]))
            {
                var length = (buffer[0] << 16) | (buffer[1] << 8) | buffer[2];
                var (type, flags) = (buffer[3], buffer[4]);
                var stream = BinaryPrimitives.ReadInt32BigEndian(buffer.GetRange(5, 4).ToArray()) & 0x7FFF_FFFF;
                var payload = buffer.GetRange(9, length).ToArray();
                buffer.RemoveRange(0, 9 + length);
                if (frame(type, flags, stream, payload))
                {
                    return true;
                }
            }

            var read = await socket.ReceiveAsync(chunk, timeout.Token);
            if (read == 0)
            {
                return false;
            }

            buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    private static byte[] RequestBlock(string path, int port) =>
    [
        .. Literal(":method", "POST"), .. Literal(":scheme", "http"), .. Literal(":path", path),
        .. Literal(":authority", $"127.0.0.1:{port}"), .. Literal("content-type", "application/grpc"), .. Literal("te", "trailers"),
    ];

    /// <summary>Reads frames until stream 1 ends; decodes its header blocks with an HPACK decoder of its own.</summary>
    private static async Task<(string? Status, string? GrpcStatus, string? Authority, byte[] Data)> ReadResponseAsync(Socket socket)
    {
        var decoder = new HpackDecoder();
        var fields = new Fields();
        var data = new List<byte>();
        var ended = await ReadFramesAsync(socket, (type, flags, stream, payload) =>
        {
            if (type == 0x1)
            {
                decoder.Decode(payload, fields); // the service sends no padding or priority
            }
            else if (type == 0x0 && stream == 1)
            {
                data.AddRange(payload);
            }
            else if (type == 0x7 || type == 0x3)
            {
                throw new InvalidOperationException($"the call ended with frame type {type}");
            }

            return stream == 1 && (flags & 0x1) != 0;
        });
        return ended
            ? (fields.Get(":status"), fields.Get("grpc-status"), fields.Get("x-authority"), data.ToArray())
            : throw new InvalidOperationException("the connection closed before the call ended");
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload) => MeshDev.Link.HttpWire.Frame(type, flags, stream, payload);

    // A literal field without indexing, new name, no Huffman (RFC 7541 §6.2.2); every string here is under 127 bytes.
    private static byte[] Literal(string name, string value) =>
        [0, (byte)name.Length, .. Encoding.ASCII.GetBytes(name), (byte)value.Length, .. Encoding.ASCII.GetBytes(value)];

    private sealed class Fields : IHeaderSink
    {
        private readonly Dictionary<string, string> _values = [];

        public void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value) =>
            _values[Encoding.ASCII.GetString(name)] = Encoding.ASCII.GetString(value);

        public string? Get(string name) => _values.GetValueOrDefault(name);
    }
}
