using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Runtime;
using Timestamp = Google.Protobuf.WellKnownTypes.Timestamp;
using V1 = MeshDev.Control.V1;

namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// Talks to a running mesh's control API (gRPC over h2c on loopback), found through <c>.meshdev/daemon.json</c> next
/// to the manifest, with the token from that file. Answers come back as the daemon's model (<see cref="MeshStatus"/>,
/// <see cref="RoutesView"/>…), so tables and <c>--json</c> look the same however they were obtained.
/// </summary>
public sealed class ControlClient : IDisposable
{
    // Reads answer at once; a daemon that takes longer is stuck, and the user should hear so rather than wait.
    private static readonly TimeSpan ReadDeadline = TimeSpan.FromSeconds(30);

    private readonly GrpcChannel _channel;
    private readonly V1.Control.ControlClient _control;
    private readonly Metadata _token;

    private ControlClient(DaemonInfo info)
    {
        Info = info;
        _channel = GrpcChannel.ForAddress(info.ControlUrl, new GrpcChannelOptions
        {
            // Never through HTTP_PROXY: the mesh is on this machine's loopback.
            // More connections past a connection's 100 streams: `logs -f` of every service holds one stream per service.
            HttpHandler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true },
            DisposeHttpClient = true,
        });
        _control = new V1.Control.ControlClient(_channel);
        _token = new Metadata { { "authorization", $"Bearer {info.Token}" } };
    }

    public DaemonInfo Info { get; }

    /// <summary>The client for the mesh of <paramref name="manifestPath"/>, or null (with the reason) when none runs.</summary>
    public static ControlClient? TryConnect(string manifestPath, out string why) =>
        RunningDaemon.TryFind(manifestPath, out why) is { } info ? new ControlClient(info) : null;

    /// <summary>
    /// Runs <paramref name="action"/> against the mesh of <paramref name="manifestPath"/>; when none runs or it refuses
    /// a call, prints one sentence on stderr and returns <see cref="ExitCodes.Failed"/>.
    /// </summary>
    public static async Task<int> RunAsync(string manifestPath, Func<ControlClient, Task<int>> action)
    {
        using var client = TryConnect(manifestPath, out var why);
        if (client is null)
        {
            return CommonOptions.Fail(why);
        }

        try
        {
            return await action(client).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            return CommonOptions.Fail(client.Describe(ex));
        }
    }

    /// <summary>One sentence for a failed call: the daemon's own when it gave one, else what to do.</summary>
    public string Describe(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal =>
            $"the mesh for {Info.Manifest} (pid {Info.Pid}) does not answer at {Info.ControlUrl} ({ex.Status.Detail}); run 'meshdev down' to clean up, then 'meshdev up'",
        StatusCode.Unauthenticated or StatusCode.NotFound or StatusCode.InvalidArgument or StatusCode.FailedPrecondition => ex.Status.Detail,
        _ => $"the mesh answered {ex.StatusCode}: {ex.Status.Detail}",
    };

    public async Task<MeshStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        ControlMessages.FromMessage(await _control.GetStatusAsync(new V1.GetStatusRequest(), ReadOptions(cancellationToken)));

    public async Task<RoutesView> GetRoutesAsync(CancellationToken cancellationToken) =>
        ControlMessages.FromMessage(await _control.GetRoutesAsync(new V1.GetRoutesRequest(), ReadOptions(cancellationToken)));

    /// <summary>Launches <paramref name="service"/> and waits until it is ready; the failure when the launch failed.</summary>
    public async Task<(ServiceStatus Service, V1.LaunchFailure? Failure)> StartAsync(string service, CancellationToken cancellationToken)
    {
        var response = await _control.StartServiceAsync(new V1.StartServiceRequest { Service = service }, Options(cancellationToken));
        return (ControlMessages.FromMessage(response.Service), response.Failure);
    }

    public async Task<ServiceStatus> StopAsync(string service, CancellationToken cancellationToken, bool hold = false) =>
        ControlMessages.FromMessage((await _control.StopServiceAsync(new V1.StopServiceRequest { Service = service, Hold = hold }, Options(cancellationToken))).Service);

    public async Task ShutdownAsync(CancellationToken cancellationToken) =>
        await _control.ShutdownAsync(new V1.ShutdownRequest(), ReadOptions(cancellationToken));

    /// <summary>The lines of <paramref name="service"/>'s log that <paramref name="query"/> selects; ends when the mesh stops.</summary>
    public async IAsyncEnumerable<LogEntry> StreamLogsAsync(string service, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = new V1.StreamLogsRequest { Service = service, Follow = query.Follow };
        if (query.Since is { } since)
        {
            request.Since = Timestamp.FromDateTimeOffset(since);
        }

        if (query.Tail is { } tail)
        {
            request.Tail = tail;
        }

        using var call = _control.StreamLogs(request, Options(cancellationToken));
        await foreach (var line in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            yield return ControlMessages.FromMessage(line);
        }
    }

    /// <summary>The mesh's events after <paramref name="afterSequence"/> (0: the recent history too; -1: new ones only); ends when the mesh stops.</summary>
    public async IAsyncEnumerable<MeshEvent> WatchEventsAsync(long afterSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _control.WatchEvents(new V1.WatchEventsRequest { AfterSequence = afterSequence }, Options(cancellationToken));
        await foreach (var e in call.ResponseStream.ReadAllAsync(cancellationToken))
        {
            yield return ControlMessages.FromMessage(e);
        }
    }

    private CallOptions Options(CancellationToken cancellationToken) => new(_token, cancellationToken: cancellationToken);

    private CallOptions ReadOptions(CancellationToken cancellationToken) => new(_token, DateTime.UtcNow + ReadDeadline, cancellationToken);

    public void Dispose() => _channel.Dispose();
}
