using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.Core.Tests.Runtime;

public sealed class GrpcHealthProbeTests
{
    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 1 }, true)]       // SERVING
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 2 }, false)]      // NOT_SERVING
    [InlineData(new byte[] { 0, 0, 0, 0, 0 }, false)]               // status omitted: UNKNOWN
    [InlineData(new byte[] { 1, 0, 0, 0, 2, 0x08, 1 }, false)]      // compressed frame: not ours to read
    [InlineData(new byte[] { 0, 0, 0 }, false)]                     // truncated
    public void Reads_the_health_response(byte[] body, bool serving) =>
        Assert.Equal(serving, GrpcHealthProbe.IsServing(body));

    [Fact]
    public async Task Is_not_ready_when_nothing_listens()
    {
        var probe = new GrpcHealthProbe("shop.orders.v1.Orders");
        Assert.False(await probe.ProbeAsync(new ServiceEndpoint("127.0.0.1", TestPorts.Free()), CancellationToken.None));
        Assert.Equal("grpc health of shop.orders.v1.Orders", probe.ToString());
    }
}
