using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// Ready once the standard <c>grpc.health.v1.Health/Check</c> answers SERVING over h2c. The two tiny messages are
/// encoded by hand (HealthCheckRequest: field 1 <c>service</c>; HealthCheckResponse: field 1 <c>status</c>,
/// SERVING = 1), so the mesh needs no gRPC runtime for this.
/// </summary>
public sealed class GrpcHealthProbe : IReadinessProbe
{
    private const int Serving = 1;

    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = ReadinessProbe.AttemptTimeout,
        // One connection per probe: a kept HTTP/2 connection would outlive the instance it was made to.
        PooledConnectionLifetime = TimeSpan.Zero,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly byte[] _requestFrame;

    /// <param name="service">The service name to ask about; empty or null asks about the server as a whole.</param>
    public GrpcHealthProbe(string? service)
    {
        Service = service ?? "";
        var name = Encoding.UTF8.GetBytes(Service);
        byte[] message = name.Length == 0 ? [] : [0x0A, .. Varint(name.Length), .. name];
        _requestFrame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(_requestFrame.AsSpan(1), (uint)message.Length);
        message.CopyTo(_requestFrame.AsSpan(5));
    }

    public string Service { get; }

    public ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken) =>
        ReadinessProbe.AttemptAsync(async attempt =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.HttpUri, "/grpc.health.v1.Health/Check"))
            {
                // HttpClient's default version applies to its helper methods only, not to SendAsync.
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = new ByteArrayContent(_requestFrame),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            request.Headers.TE.ParseAdd("trailers");
            using var response = await Client.SendAsync(request, attempt).ConfigureAwait(false);
            var body = await response.Content.ReadAsByteArrayAsync(attempt).ConfigureAwait(false);
            return response.IsSuccessStatusCode && Status(response) == "0" && IsServing(body);
        }, cancellationToken);

    public override string ToString() => Service.Length == 0 ? "grpc health" : $"grpc health of {Service}";

    // A trailers-only answer carries grpc-status in the headers.
    private static string? Status(HttpResponseMessage response) =>
        response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.FirstOrDefault()
        : response.Headers.TryGetValues("grpc-status", out var header) ? header.FirstOrDefault() : null;

    /// <summary>One uncompressed frame holding a HealthCheckResponse whose field 1 (varint) is SERVING.</summary>
    internal static bool IsServing(ReadOnlySpan<byte> body)
    {
        if (body.Length < 5 || body[0] != 0)
        {
            return false;
        }

        var message = body.Slice(5, (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body[1..]), (uint)(body.Length - 5)));
        // The message's only field: tag 0x08 (field 1, varint) then the status. Omitted means UNKNOWN (0).
        return message.Length >= 2 && message[0] == 0x08 && message[1] == Serving;
    }

    private static byte[] Varint(int value)
    {
        var bytes = new List<byte>(5);
        var v = (uint)value;
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }

        bytes.Add((byte)v);
        return [.. bytes];
    }
}
