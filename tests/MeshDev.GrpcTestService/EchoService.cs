using Grpc.Core;
using MeshDev.GrpcTest.V1;

namespace MeshDev.GrpcTestService;

/// <summary>How many <c>Hang</c> calls are waiting, and how many have observed their cancellation (one per process).</summary>
public sealed class HangCounter
{
    private int _cancelled;
    private int _hanging;

    public int Cancelled => Volatile.Read(ref _cancelled);

    public int Hanging => Volatile.Read(ref _hanging);

    public void Enter() => Interlocked.Increment(ref _hanging);

    public void Leave() => Interlocked.Decrement(ref _hanging);

    public void RecordCancelled() => Interlocked.Increment(ref _cancelled);
}

/// <summary><c>meshdev.test.v1.Echo</c>; see Protos/echo.proto.</summary>
public sealed class EchoService(HangCounter hangs) : Echo.EchoBase
{
    public const string Name = "meshdev.test.v1.Echo";

    public override async Task<EchoReply> Say(EchoRequest request, ServerCallContext context)
    {
        if (request.DelayMs > 0)
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }

        if (context.RequestHeaders.GetValue("x-test") is { } echoed)
        {
            await context.WriteResponseHeadersAsync(new Metadata { { "x-test", echoed } });
        }

        context.ResponseTrailers.Add("x-trailer", "done");
        // The :authority the call arrived with: a relayed connection keeps the client's own (the mesh port).
        context.ResponseTrailers.Add("x-authority", context.Host);

        if (request.Text == "fail")
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "asked to fail"));
        }

        return new EchoReply
        {
            Text = request.Text,
            Payload = request.PayloadBytes > 0 ? Google.Protobuf.ByteString.CopyFrom(Payload(request.PayloadBytes)) : Google.Protobuf.ByteString.Empty,
            Pid = Environment.ProcessId,
            Peer = context.Peer,
        };
    }

    public override async Task Count(CountRequest request, IServerStreamWriter<CountReply> responseStream, ServerCallContext context)
    {
        for (var n = 1; n <= request.Count; n++)
        {
            await responseStream.WriteAsync(new CountReply { N = n }, context.CancellationToken);
            if (n < request.Count && request.IntervalMs > 0)
            {
                await Task.Delay(request.IntervalMs, context.CancellationToken);
            }
        }
    }

    public override async Task<Total> Sum(IAsyncStreamReader<Num> requestStream, ServerCallContext context)
    {
        var total = new Total();
        await foreach (var number in requestStream.ReadAllAsync(context.CancellationToken))
        {
            total.Sum += number.Value;
            total.Count++;
        }

        return total;
    }

    public override async Task Chat(IAsyncStreamReader<ChatMessage> requestStream, IServerStreamWriter<ChatMessage> responseStream, ServerCallContext context)
    {
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new ChatMessage { Text = message.Text }, context.CancellationToken);
        }
    }

    public override async Task<Empty> Hang(Empty request, ServerCallContext context)
    {
        hangs.Enter();
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            hangs.RecordCancelled();
            Console.WriteLine($"Hang cancelled ({hangs.Cancelled} so far)");
        }
        finally
        {
            hangs.Leave();
        }

        return new Empty();
    }

    public override Task<CancelledCountReply> CancelledCount(Empty request, ServerCallContext context) =>
        Task.FromResult(new CancelledCountReply { N = hangs.Cancelled, Hanging = hangs.Hanging });

    // A recognisable pattern, so a corrupted payload would show.
    private static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }

        return bytes;
    }
}
