using MeshDev.Catalog;

namespace MeshDev.Runtime;

/// <summary>
/// The runtime of <c>runtime: remote</c> services: an upstream already running elsewhere at the manifest's 'url',
/// with nothing to build, spawn or stop. Needs nothing installed, so every mesh has it.
/// </summary>
public sealed class RemoteRuntime : IServiceRuntime
{
    public RuntimeKind Kind => RuntimeKind.Remote;

    public Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The upstream itself: there is nothing to start.</summary>
    public Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken) =>
        Task.FromResult<IServiceInstance>(InstanceOf(request.Service));

    /// <summary>Always the upstream, so a remote service is never launched.</summary>
    public Task<IServiceInstance?> FindExternalAsync(ServiceSpec service, CancellationToken cancellationToken) =>
        Task.FromResult<IServiceInstance?>(InstanceOf(service));

    private static ExternalInstance InstanceOf(ServiceSpec service) => ExternalInstance.Remote(
        service.Url ?? throw new LaunchException($"service '{service.Name}' has runtime remote but no 'url': add the address it answers on, e.g. url: http://127.0.0.1:9000"));
}
