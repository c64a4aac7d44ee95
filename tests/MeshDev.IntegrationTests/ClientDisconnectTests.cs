using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>A caller that gives up while a launch is under way abandons only its own wait.</summary>
public sealed class ClientDisconnectTests
{
    [Fact]
    public async Task Client_that_disconnects_during_a_slow_launch_does_not_stop_it_and_the_next_request_uses_it()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("slow", flags: ["--start-delay-ms", "2000"]));
        using var giveUp = new CancellationTokenSource();

        var abandoned = mesh.Http.GetAsync(mesh.Url("slow", "/whoami"), giveUp.Token);
        await mesh.WaitForStateAsync("slow", ServiceState.Starting);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await mesh.WaitForChangeAsync("slow", c => c.To is ServiceState.Ready or ServiceState.Failed, "the launch to finish");
        Assert.Equal(ServiceState.Ready, mesh.Service("slow").State);

        var whoami = await mesh.WhoAmIAsync("slow");

        Assert.Equal("slow", whoami.Name);
        Assert.Equal(1, mesh.Service("slow").Launches);
        Assert.Equal([whoami.Pid], mesh.FindTaggedProcesses().Select(p => p.Pid));
        Assert.DoesNotContain(mesh.Changes("slow"), c => c.To is ServiceState.Failed or ServiceState.Stopping);
    }
}
