using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Daemon.State;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Routing;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.Hosting;

/// <summary>
/// The parts a feed links, without a host: the activators of a one-service mesh (the real TestService, launched as a
/// real process by the process runtime) and the routing table of the same manifest. Disposing stops the service, then
/// kills anything of the test left and deletes the directory.
/// </summary>
internal sealed class OneServiceActivator : IAsyncDisposable
{
    public const string Name = "orders";

    private readonly string _directory;
    private readonly string _tag;
    private readonly ProcessRuntime _runtime;
    private readonly ServiceLog _log;

    private OneServiceActivator(string directory, string tag, MeshManifest manifest)
    {
        _directory = directory;
        _tag = tag;
        var state = StateDirectory.For(manifest);
        state.Create();
        _runtime = new ProcessRuntime(state.Root);
        _log = new ServiceLog(Name, state.ServiceLog(Name));
        Routing = new RoutingTable(manifest);
        Activator = new MeshActivator(manifest, [_runtime], _ => _log);
    }

    public RoutingTable Routing { get; }

    public MeshActivator Activator { get; }

    public ServiceActivator Service => Activator.Find(Name)!;

    /// <summary>The endpoints the routing table holds for the service now (none: the activator).</summary>
    public IReadOnlyList<ServiceEndpoint> RoutedEndpoints => Routing.Current.Clusters[Name].Endpoints;

    public static OneServiceActivator Create()
    {
        var tag = TaggedProcesses.NewTag();
        var directory = Directory.CreateTempSubdirectory("meshdev-feed-").FullName;
        var manifest = ManifestLoader.Load(new ManifestBuilder(tag).Service(Name).WriteTo(directory));
        return new OneServiceActivator(directory, tag, manifest);
    }

    /// <summary>Completes with the first routing snapshot, current or next, that <paramref name="match"/> accepts.</summary>
    public async Task<RoutingSnapshot> RoutingWhereAsync(Func<RoutingSnapshot, bool> match)
    {
        var found = new TaskCompletionSource<RoutingSnapshot>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(RoutingSnapshot snapshot)
        {
            if (match(snapshot))
            {
                found.TrySetResult(snapshot);
            }
        }

        Routing.Changed += OnChanged;
        try
        {
            OnChanged(Routing.Current);
            return await found.Task.WaitAsync(Eventually.Deadline);
        }
        finally
        {
            Routing.Changed -= OnChanged;
        }
    }

    /// <summary>Completes once the activator has delivered a change to <paramref name="to"/> to its observers.</summary>
    public async Task DeliveredAsync(ServiceState to, Func<Task> act)
    {
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(ServiceStateChange change)
        {
            if (change.To == to)
            {
                delivered.TrySetResult();
            }
        }

        Service.StateChanged += OnChanged;
        try
        {
            await act();
            await delivered.Task.WaitAsync(Eventually.Deadline);
        }
        finally
        {
            Service.StateChanged -= OnChanged;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Activator.DisposeAsync();
            await _runtime.DisposeAsync();
            _log.Dispose();
        }
        finally
        {
            TaggedProcesses.KillAll(_tag);
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
