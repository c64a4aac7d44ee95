using Grpc.Core;
using MeshDev.Activation;
using MeshDev.GrpcTest.V1;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>
/// gRPC calls that do not simply succeed — deadlines, cancellation, launch failures, unknown services, error statuses —
/// end in the gRPC status a gRPC client expects (an independent client: @grpc/grpc-js), never in an HTTP error page.
/// </summary>
public sealed class GrpcFailureTests
{
    private const int Cancelled = 1;
    private const int InvalidArgument = 3;
    private const int DeadlineExceeded = 4;
    private const int Unimplemented = 12;
    private const int Unavailable = 14;

    [Fact]
    public async Task Deadline_that_runs_out_while_the_service_starts_is_DEADLINE_EXCEEDED_and_the_launch_still_completes()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo", flags: ["--start-delay-ms", "3000"]));

        var result = await NodeClient.RunAsync(mesh.MeshPort("echo"), "deadline", "--deadline-ms", "500");

        Assert.True(result.Code == DeadlineExceeded, $"expected DEADLINE_EXCEEDED: {result}");
        // The call reached the mesh and started the launch (its deadline ran out while it waited there).
        await mesh.WaitForChangeAsync("echo", c => c.To == ServiceState.Starting, "the launch the call started");

        // The caller gave up, the launch did not: the next caller finds the service ready, launched once.
        await mesh.WaitForStateAsync("echo", ServiceState.Ready);
        var next = await NodeClient.RunAsync(mesh.MeshPort("echo"), "unary");
        Assert.True(next.Code == 0, $"call after the launch: {next}{Environment.NewLine}{mesh.Output()}");
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Cancelled_call_is_CANCELLED_on_the_client_and_the_backend_sees_the_cancellation()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        // echo-client.js starts Hang on the cold service, waits until the backend holds it, then cancels it.
        var result = await NodeClient.RunAsync(mesh.MeshPort("echo"), "cancel", "--cancel-after-ms", "100");

        Assert.True(result.Code == Cancelled, $"expected CANCELLED: {result}");
        Assert.True(result.Bool("hangingBeforeCancel"), $"the Hang call never reached the backend: {result}");

        // The proxy passed the cancellation on (RST_STREAM upstream): the backend's Hang call saw it.
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));
        var cancelled = 0;
        await Eventually.UntilAsync(
            () => (cancelled = client.Echo.CancelledCount(new MeshDev.GrpcTest.V1.Empty(), deadline: DotnetGrpcClient.Deadline).N) == 1,
            $"the backend to see the cancellation of Hang (CancelledCount is {cancelled})");
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Fact]
    public async Task Service_that_dies_mid_stream_ends_the_call_UNAVAILABLE_not_CANCELLED()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));
        using var client = new DotnetGrpcClient(mesh.MeshPort("echo"));
        using var call = client.Echo.Count(new CountRequest { Count = 1000, IntervalMs = 50 }, deadline: DotnetGrpcClient.Deadline);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));

        // SIGKILL mid-stream: a direct caller then sees UNAVAILABLE; through the mesh it saw CANCELLED (YARP's reset).
        TaggedProcesses.Kill(Assert.Single(mesh.FindTaggedProcesses()).Pid);
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
            }
        });

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("service 'echo' ended the call before its status", error.Status.Detail);
    }

    [Fact]
    public async Task Service_that_exits_at_once_is_UNAVAILABLE_with_exit_code_and_its_output()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("broken", flags: ["--exit-at-once", "3"]));

        var result = await NodeClient.RunAsync(mesh.MeshPort("broken"), "unary");

        Assert.True(result.Code == Unavailable, $"expected UNAVAILABLE: {result}");
        Assert.Contains("exited with code 3", result.Details);
        Assert.Contains("fatal: grpc config missing", result.Details);
        Assert.Equal(ServiceState.Failed, mesh.Service("broken").State);
        Assert.Equal(1, mesh.Service("broken").Launches);
    }

    [Fact]
    public async Task Service_whose_health_says_NOT_SERVING_is_not_ready_and_the_call_is_UNAVAILABLE_after_its_start_timeout()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("sick", flags: ["--not-serving"], extra: ["startTimeout: 2s"]));

        var result = await NodeClient.RunAsync(mesh.MeshPort("sick"), "unary");

        Assert.True(result.Code == Unavailable, $"expected UNAVAILABLE: {result}");
        Assert.Contains("not ready after 2 s", result.Details);
        Assert.Equal(ServiceState.Failed, mesh.Service("sick").State);
        Assert.Equal(1, mesh.Service("sick").Launches);
    }

    [Fact]
    public async Task Unknown_grpc_service_on_the_shared_port_is_UNIMPLEMENTED_naming_the_known_ones_and_launches_nothing()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        var result = await NodeClient.RunAsync(mesh.SharedPort, "unknown-service");

        Assert.True(result.Code == Unimplemented, $"expected UNIMPLEMENTED: {result}");
        Assert.Contains("meshdev.test.v1.Nope", result.Details);
        Assert.Contains(GrpcManifest.EchoService, result.Details);
        Assert.Equal(0, mesh.Service("echo").Launches);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Error_status_of_the_service_passes_through_with_its_message_and_trailers(bool sharedPort)
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        var result = await NodeClient.RunAsync(sharedPort ? mesh.SharedPort : mesh.MeshPort("echo"), "status");

        Assert.True(result.Code == InvalidArgument, $"expected INVALID_ARGUMENT: {result}");
        Assert.Equal("asked to fail", result.Details);
        Assert.Equal("done", result.Trailer("x-trailer"));
        Assert.Equal(1, mesh.Service("echo").Launches);
    }
}
