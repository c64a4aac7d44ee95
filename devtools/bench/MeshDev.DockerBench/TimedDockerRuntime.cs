using MeshDev.Catalog;
using MeshDev.Docker;
using MeshDev.Runtime;

namespace MeshDev.DockerBench;

/// <summary>
/// The mesh's own <see cref="DockerRuntime"/>, noting when it is asked to prepare and to start and when each call returns,
/// and when its readiness probes run. Nothing else changes: the calls, the instance and the probe (the one the activator
/// would pick itself) are the runtime's.
/// </summary>
internal sealed class TimedDockerRuntime(DockerRuntime inner, Func<MeshTimeline?> round) : IServiceRuntime, IAsyncDisposable
{
    public RuntimeKind Kind => inner.Kind;

    public async Task PrepareAsync(ServiceSpec service, ServiceLog log, CancellationToken cancellationToken)
    {
        round()?.Mark(Milestone.LaunchBegins);
        await inner.PrepareAsync(service, log, cancellationToken).ConfigureAwait(false);
        round()?.Mark(Milestone.ImageChecked);
    }

    public async Task<IServiceInstance> StartAsync(LaunchRequest request, CancellationToken cancellationToken)
    {
        round()?.Mark(Milestone.StartCalled);
        var instance = await inner.StartAsync(request, cancellationToken).ConfigureAwait(false);
        round()?.Mark(Milestone.Started);
        return new TimedInstance(instance, instance.Readiness ?? ReadinessProbe.For(request.Service.Ready), round);
    }

    public Task<IServiceInstance?> AdoptAsync(LaunchRequest request, CancellationToken cancellationToken) => inner.AdoptAsync(request, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>The runtime's instance with a probe that notes its attempts.</summary>
    private sealed class TimedInstance(IServiceInstance inner, IReadinessProbe probe, Func<MeshTimeline?> round) : IServiceInstance
    {
        public ServiceEndpoint Endpoint => inner.Endpoint;

        public Task<int?> Exited => inner.Exited;

        public IReadinessProbe? Readiness { get; } = new TimedProbe(probe, round);

        public string? Description => inner.Description;

        public Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken) => inner.StopAsync(gracePeriod, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class TimedProbe(IReadinessProbe inner, Func<MeshTimeline?> round) : IReadinessProbe
    {
        public TimeSpan MinimumInterval => inner.MinimumInterval;

        public async ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
        {
            var timeline = round();
            timeline?.Mark(Milestone.FirstProbe);
            timeline?.CountProbe();
            var ready = await inner.ProbeAsync(endpoint, cancellationToken).ConfigureAwait(false);
            if (ready)
            {
                timeline?.Mark(Milestone.ProbePassed);
            }

            return ready;
        }

        public override string ToString() => inner.ToString() ?? "";
    }
}
