using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Core.Tests.Runtime;

/// <summary>The runtime of <c>runtime: remote</c>: an upstream already running at the manifest's url, nothing to start or stop.</summary>
public sealed class RemoteRuntimeTests
{
    private static readonly ServiceSpec Legacy = new() { Name = "legacy", Runtime = RuntimeKind.Remote, Url = new Uri("http://127.0.0.1:9000/api"), WorkingDir = "/tmp" };

    private readonly RemoteRuntime _runtime = new();

    [Fact]
    public async Task Every_launch_finds_the_upstream_at_the_manifest_url_as_a_remote_instance()
    {
        var instance = await _runtime.FindExternalAsync(Legacy, CancellationToken.None);

        Assert.NotNull(instance);
        Assert.Equal(RuntimeKind.Remote, _runtime.Kind);
        Assert.Equal(InstanceOwnership.Remote, instance.Ownership);
        Assert.Equal(new ServiceEndpoint("127.0.0.1", 9000), instance.Endpoint);
        Assert.Equal("remote upstream 127.0.0.1:9000", instance.Description);
        Assert.Null(instance.ProcessId);
        Assert.Null(instance.Readiness);
    }

    [Fact]
    public async Task Starting_stopping_or_taking_over_does_nothing_to_the_upstream()
    {
        var log = new ServiceLog("legacy", null);
        await _runtime.PrepareAsync(Legacy, log, CancellationToken.None);
        var started = await _runtime.StartAsync(new LaunchRequest(Legacy, 41000, new Dictionary<string, string>(), log), CancellationToken.None);

        await started.StopAsync(TimeSpan.Zero, CancellationToken.None);
        await started.DisposeAsync();

        // The port of the request is not the upstream's: the url is.
        Assert.Equal(new ServiceEndpoint("127.0.0.1", 9000), started.Endpoint);
        Assert.Equal(InstanceOwnership.Remote, started.Ownership);
        Assert.False(started.Exited.IsCompleted);
        Assert.Null(await ((IServiceRuntime)_runtime).AdoptAsync(new LaunchRequest(Legacy, 0, new Dictionary<string, string>(), log), CancellationToken.None));
        Assert.Empty(log.Tail());
    }

    [Fact]
    public async Task A_remote_service_without_url_fails_its_launch_saying_what_to_add()
    {
        var error = await Assert.ThrowsAsync<LaunchException>(() => _runtime.FindExternalAsync(Legacy with { Url = null }, CancellationToken.None));

        Assert.Equal("service 'legacy' has runtime remote but no 'url': add the address it answers on, e.g. url: http://127.0.0.1:9000", error.Message);
    }

    [Fact]
    public async Task The_process_runtime_finds_nothing_external_and_its_instances_are_launched()
    {
        IServiceRuntime process = new ProcessRuntime();
        IServiceInstance instance = new Core.Tests.Activation.FakeInstance(new ServiceEndpoint("127.0.0.1", 41000));

        Assert.Null(await process.FindExternalAsync(Legacy with { Runtime = RuntimeKind.Process, Url = null, Command = "legacy" }, CancellationToken.None));
        Assert.Equal(InstanceOwnership.Launched, instance.Ownership);
    }
}
