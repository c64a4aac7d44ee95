using System.Collections.Concurrent;
using System.Runtime.Versioning;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// Services the mesh routes to but does not run: a remote upstream (through the runtime every mesh has, so the host
/// registers no runtime here) and a program found on the service's port (a real python3 listener). Fake clock.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ExternalServiceTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 6, 0, 0, TimeSpan.Zero));
    private readonly ConcurrentQueue<ServiceStateChange> _changes = new();
    private readonly List<IAsyncDisposable> _owned = [];

    private static ServiceSpec Legacy => new()
    {
        Name = "legacy",
        Runtime = RuntimeKind.Remote,
        WorkingDir = "/tmp",
        Url = new Uri("http://127.0.0.1:9"),
        IdleTimeout = TimeSpan.FromMinutes(1),
        DependsOn = ["orders"],
    };

    private static ServiceSpec Orders => new() { Name = "orders", Command = "orders", WorkingDir = "/tmp" };

    /// <summary>A mesh of <paramref name="services"/> whose host brings <paramref name="runtimes"/>; the first service's changes are recorded.</summary>
    private MeshActivator Mesh(IServiceRuntime[] runtimes, params ServiceSpec[] services)
    {
        var mesh = new MeshActivator(new MeshManifest("/tmp/meshdev.yaml", new MeshSettings(), [.. services]), runtimes, s => new ServiceLog(s.Name, null), _time);
        mesh.Services[0].StateChanged += _changes.Enqueue;
        _owned.Add(mesh);
        return mesh;
    }

    /// <summary>Every change of the first service, once their delivery has ended (the mesh is disposed).</summary>
    private async Task<string[]> AllChangesAsync(MeshActivator mesh)
    {
        _owned.Remove(mesh);
        await mesh.DisposeAsync();
        return [.. _changes.Select(c => $"{c.From} -> {c.To}: {c.Detail}")];
    }

    [Fact]
    public async Task A_remote_service_is_external_at_its_url_on_the_first_call_without_a_launch_or_its_dependencies()
    {
        var runtime = new FakeRuntime();
        var mesh = Mesh([runtime], Legacy, Orders);
        var legacy = mesh.Find("legacy")!;

        using (var lease = await legacy.AcquireAsync().AsTask().WaitAsync(Wait))
        {
            Assert.Equal(new ServiceEndpoint("127.0.0.1", 9), lease.Endpoint);
        }

        Assert.Equal(ServiceState.External, legacy.State);
        Assert.Equal(0, legacy.Launches);
        Assert.Null(legacy.ProcessId);
        Assert.Equal(0, runtime.Starts);
        Assert.Empty(legacy.Log.Tail());
        Assert.Equal(["Stopped -> Starting: launching", "Starting -> External: remote upstream 127.0.0.1:9"], await AllChangesAsync(mesh));
    }

    [Fact]
    public async Task A_remote_service_is_never_forgotten_stopped_or_idled()
    {
        var mesh = Mesh([], Legacy);
        var legacy = mesh.Find("legacy")!;
        (await legacy.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();

        Assert.False(legacy.ReportUnreachable());
        await legacy.StopAsync();
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(ServiceState.External, legacy.State);
        Assert.Equal(new ServiceEndpoint("127.0.0.1", 9), legacy.Endpoint);
        Assert.True(legacy.TryAcquire(out var lease));
        lease.Dispose();
        Assert.Equal(["Stopped -> Starting: launching", "Starting -> External: remote upstream 127.0.0.1:9"], await AllChangesAsync(mesh));
    }

    [Fact]
    public async Task Nothing_is_adopted_at_mesh_start_for_a_remote_service()
    {
        var mesh = Mesh([], Legacy);

        Assert.Equal(0, await mesh.AdoptRunningAsync());
        Assert.Equal(ServiceState.Stopped, mesh.Find("legacy")!.State);
    }

    [Fact]
    public async Task A_program_found_on_the_port_is_forgotten_once_it_stops_answering_and_the_next_call_looks_again()
    {
        var holder = await PythonListener.HttpAsync();
        _owned.Add(holder);
        var runtime = new FakeRuntime();
        var mesh = Mesh([runtime], Orders with { Port = holder.Port });
        var orders = mesh.Find("orders")!;
        (await orders.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal(ServiceState.External, orders.State);

        Assert.True(orders.ReportUnreachable());
        // A second caller refused by the same instance may try again too: the service no longer routes there.
        Assert.True(orders.ReportUnreachable());

        Assert.Equal(ServiceState.Stopped, orders.State);
        Assert.Null(orders.Endpoint);
        // Still there: the next call looks at the port again and routes to it, still without a launch.
        (await orders.AcquireAsync().AsTask().WaitAsync(Wait)).Dispose();
        Assert.Equal(ServiceState.External, orders.State);
        Assert.Equal(0, runtime.Starts);
        var changes = await AllChangesAsync(mesh);
        Assert.Equal(
            ["Stopped -> Starting", "Starting -> External", "External -> Stopped", "Stopped -> Starting", "Starting -> External"],
            changes.Select(c => c[..c.IndexOf(':', StringComparison.Ordinal)]));
        Assert.StartsWith($"Starting -> External: adopted: something already listens on 127.0.0.1:{holder.Port}, so the mesh routes to it and will not launch or stop it", changes[1]);
    }

    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    async Task IAsyncLifetime.DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }
}
