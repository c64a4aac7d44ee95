using Grpc.Core;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using V1 = MeshDev.Control.V1;

namespace MeshDev.IntegrationTests.ControlApi;

/// <summary>
/// The control API refuses every call without this mesh's token (another local user reaches the loopback port too):
/// a missing or wrong token gets UNAUTHENTICATED with a sentence saying where the token is, and changes nothing.
/// </summary>
public sealed class ControlTokenTests
{
    [Fact]
    public async Task A_call_without_a_token_or_with_a_wrong_one_is_refused_and_changes_nothing()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));
        using var channel = ControlChannel.For(mesh.Host.Info.ControlUrl);
        var control = new V1.Control.ControlClient(channel);
        var wrongToken = new string('0', mesh.Host.Info.Token.Length);
        Metadata[] refused =
        [
            [],
            new Metadata { { "authorization", $"Bearer {wrongToken}" } },
            new Metadata { { "authorization", $"Bearer {mesh.Host.Info.Token}0" } },
            new Metadata { { "authorization", mesh.Host.Info.Token } },
            new Metadata { { "x-token", mesh.Host.Info.Token } },
        ];

        foreach (var headers in refused)
        {
            var status = await Assert.ThrowsAsync<RpcException>(() => control.GetStatusAsync(new V1.GetStatusRequest(), headers).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, status.StatusCode);
            Assert.Contains(mesh.Host.State.DaemonFile, status.Status.Detail);

            var start = await Assert.ThrowsAsync<RpcException>(() => control.StartServiceAsync(new V1.StartServiceRequest { Service = "front" }, headers).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, start.StatusCode);

            var shutdown = await Assert.ThrowsAsync<RpcException>(() => control.ShutdownAsync(new V1.ShutdownRequest(), headers).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, shutdown.StatusCode);

            using var events = control.WatchEvents(new V1.WatchEventsRequest(), headers);
            var watch = await Assert.ThrowsAsync<RpcException>(() => events.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unauthenticated, watch.StatusCode);

            using var logs = control.StreamLogs(new V1.StreamLogsRequest { Service = "front" }, headers);
            var log = await Assert.ThrowsAsync<RpcException>(() => logs.ResponseStream.MoveNext());
            Assert.Equal(StatusCode.Unauthenticated, log.StatusCode);
        }

        Assert.Equal(ServiceState.Stopped, mesh.Service("front").State);
        Assert.Equal(0, mesh.Service("front").Launches);
        Assert.False(mesh.Host.ShutdownRequested.IsCompleted, "a refused Shutdown stopped the mesh");

        // The right token, for contrast.
        var answer = await control.GetStatusAsync(new V1.GetStatusRequest(), new Metadata { { "authorization", $"Bearer {mesh.Host.Info.Token}" } });
        Assert.Equal(["front"], answer.Services.Select(s => s.Name));
        Assert.Equal(V1.ServiceState.Stopped, answer.Services[0].State);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_token_is_in_an_owner_only_daemon_file()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(mesh.Host.State.DaemonFile));
        Assert.Contains(mesh.Host.Info.Token, await File.ReadAllTextAsync(mesh.Host.State.DaemonFile));
        Assert.StartsWith("http://127.0.0.1:", mesh.Host.Info.ControlUrl);
    }
}
