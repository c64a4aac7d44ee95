using Grpc.Core;
using MeshDev.Activation;
using MeshDev.Daemon.Hosting;
using MeshDev.Runtime;
using Microsoft.Extensions.Hosting;
using V1 = MeshDev.Control.V1;

namespace MeshDev.Daemon.Control;

/// <summary>
/// The control API (<c>proto/meshdev/v1/control.proto</c>) over the running mesh. Callers are authenticated by
/// <see cref="ControlTokenInterceptor"/> before any method here runs.
/// </summary>
internal sealed class ControlService(MeshHost host, IHostApplicationLifetime lifetime) : V1.Control.ControlBase
{
    public override Task<V1.MeshStatus> GetStatus(V1.GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(ControlMessages.ToMessage(Status()));

    public override async Task<V1.StartServiceResponse> StartService(V1.StartServiceRequest request, ServerCallContext context)
    {
        var service = Find(request.Service);
        var response = new V1.StartServiceResponse();
        try
        {
            await service.StartAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (ServiceUnavailableException ex)
        {
            response.Failure = ControlMessages.ToMessage(ex.Failure);
        }

        response.Service = ControlMessages.ToMessage(StatusOf(service));
        return response;
    }

    public override async Task<V1.StopServiceResponse> StopService(V1.StopServiceRequest request, ServerCallContext context)
    {
        var service = Find(request.Service);
        if (request.Hold && !service.CanHold)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"{service.Service.Name} cannot be held for an instance you start: only a fixed 'port:' on this machine says where to find it; "
                + $"run 'meshdev profiles --assign-ports {service.Service.Name}', which writes one"));
        }

        await service.StopAsync(hold: request.Hold).ConfigureAwait(false);
        return new V1.StopServiceResponse { Service = ControlMessages.ToMessage(StatusOf(service)) };
    }

    public override async Task StreamLogs(V1.StreamLogsRequest request, IServerStreamWriter<V1.LogLine> responseStream, ServerCallContext context)
    {
        var service = Find(request.Service);
        if (request.HasTail && request.Tail < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"tail must be 0 or more (got {request.Tail})"));
        }

        var query = new LogQuery(request.Since?.ToDateTimeOffset(), request.HasTail ? request.Tail : null, request.Follow);
        await StreamUntilStoppingAsync(service.Log.ReadAsync(query), e => ControlMessages.ToMessage(service.Service.Name, e), responseStream, context).ConfigureAwait(false);
    }

    public override Task WatchEvents(V1.WatchEventsRequest request, IServerStreamWriter<V1.MeshEvent> responseStream, ServerCallContext context) =>
        StreamUntilStoppingAsync(host.Events.WatchAsync(request.AfterSequence), ControlMessages.ToMessage, responseStream, context);

    public override Task<V1.Routes> GetRoutes(V1.GetRoutesRequest request, ServerCallContext context) =>
        Task.FromResult(ControlMessages.ToMessage(host.GetRoutes()));

    public override Task<V1.ShutdownResponse> Shutdown(V1.ShutdownRequest request, ServerCallContext context)
    {
        host.RequestShutdown();
        return Task.FromResult(new V1.ShutdownResponse());
    }

    private MeshStatus Status()
    {
        // The sequence first: an event that lands while the status is built is also sent to a watcher that starts after it.
        var sequence = host.Events.History() is [.., var last] ? last.Sequence : 0;
        return host.GetStatus() with { EventSequence = sequence };
    }

    private ServiceStatus StatusOf(ServiceActivator service) => host.GetStatus().Services.Single(s => s.Name == service.Service.Name);

    private ServiceActivator Find(string name) => host.Activator.Find(name) ?? throw new RpcException(new Status(
        StatusCode.NotFound,
        $"no service '{name}' in {host.Manifest.FilePath}; known services: {string.Join(", ", host.Manifest.Services.Select(s => s.Name))}"));

    /// <summary>
    /// Sends every item until the caller leaves or the mesh stops. Stopping ends the stream normally, so followers
    /// (<c>logs -f</c>, <c>events</c>, <c>status --watch</c>) exit cleanly and do not hold up the mesh's shutdown.
    /// </summary>
    private async Task StreamUntilStoppingAsync<T, TMessage>(IAsyncEnumerable<T> items, Func<T, TMessage> toMessage, IServerStreamWriter<TMessage> stream, ServerCallContext context)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var item in items.WithCancellation(stop.Token).ConfigureAwait(false))
            {
                await stream.WriteAsync(toMessage(item), stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
        }
    }
}
