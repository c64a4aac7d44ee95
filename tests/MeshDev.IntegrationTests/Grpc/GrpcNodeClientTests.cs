using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests;

/// <summary>
/// An independent gRPC client (@grpc/grpc-js, tests/js/echo-client.js) calls a cold gRPC service (the GrpcTestService,
/// h2c only) through the mesh, in every call shape: the first call launches it, once, and every shape works end to end.
/// </summary>
public sealed class GrpcNodeClientTests
{
    private static readonly string[] Shapes = ["unary", "large", "server-stream", "client-stream", "bidi"];

    public static TheoryData<string> CallShapes => new(Shapes);

    [Theory]
    [MemberData(nameof(CallShapes))]
    public async Task Call_on_the_mesh_port_of_a_cold_grpc_service_launches_it_once_and_succeeds(string scenario)
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        var result = await NodeClient.RunAsync(mesh.MeshPort("echo"), scenario);

        AssertSucceeded(mesh, scenario, result);
        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    [Theory]
    [MemberData(nameof(CallShapes))]
    public async Task Call_on_the_shared_port_is_routed_by_grpc_service_name_to_the_cold_service_and_succeeds(string scenario)
    {
        await using var mesh = await TestMesh.StartAsync(m => m
            .Service("web")
            .GrpcEcho("echo"));

        var result = await NodeClient.RunAsync(mesh.SharedPort, scenario);

        AssertSucceeded(mesh, scenario, result);
        Assert.Equal(1, mesh.Service("echo").Launches);
        Assert.Equal(0, mesh.Service("web").Launches);
    }

    [Fact]
    public async Task Five_call_shapes_at_once_on_a_cold_grpc_service_share_one_launch()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.GrpcEcho("echo"));

        var scenarios = Shapes;
        var results = await Task.WhenAll(scenarios.Select(scenario => NodeClient.RunAsync(mesh.MeshPort("echo"), scenario)));

        for (var i = 0; i < scenarios.Length; i++)
        {
            AssertSucceeded(mesh, scenarios[i], results[i]);
        }

        Assert.Equal(1, mesh.Service("echo").Launches);
    }

    /// <summary>What each scenario of echo-client.js must report when the call went through intact.</summary>
    internal static void AssertSucceeded(TestMesh mesh, string scenario, NodeResult result)
    {
        Assert.True(result.Code == 0, $"{scenario} ended with code {result.Code}: {result}{Environment.NewLine}{mesh.Output()}");
        switch (scenario)
        {
            case "unary":
                Assert.Equal("hello", result.String("text"));
                // Request metadata reached the service (it echoes x-test back as a response header), and its trailer came back.
                Assert.Equal("hello-metadata", result.Header("x-test"));
                Assert.Equal("done", result.Trailer("x-trailer"));
                // Answered by the process the mesh launched for this test.
                var pid = result.Int("pid");
                Assert.Contains(mesh.FindTaggedProcesses(), process => process.Pid == pid);
                break;
            case "large":
                // 5 MiB each way: above gRPC's 4 MiB default and far above any HTTP/2 frame or window.
                Assert.True(result.Int("textLength") >= 4 * 1024 * 1024, result.ToString());
                Assert.True(result.Bool("textIntact"), "the 5 MiB request text did not come back intact");
                Assert.True(result.Int("payloadLength") >= 4 * 1024 * 1024, result.ToString());
                Assert.True(result.Bool("payloadIntact"), "the 5 MiB reply payload did not arrive intact");
                break;
            case "server-stream":
                Assert.Equal([1, 2, 3, 4, 5], result.Ints("values"));
                break;
            case "client-stream":
                Assert.Equal(55, result.Int("sum"));
                Assert.Equal(10, result.Int("count"));
                break;
            case "bidi":
                Assert.Equal(["one", "two", "three"], result.Strings("echoes"));
                break;
            default:
                throw new ArgumentException($"no expectation for scenario {scenario}", nameof(scenario));
        }
    }
}
