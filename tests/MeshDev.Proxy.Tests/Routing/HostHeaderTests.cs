using MeshDev.Proxy.Routing;

namespace MeshDev.Proxy.Tests.Routing;

public sealed class HostHeaderTests
{
    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("orders")]
    [InlineData("orders:8080")]
    [InlineData("orders.localhost:65535")]
    [InlineData("127.0.0.1:1")]
    [InlineData("[::1]")]
    [InlineData("[::1]:15000")]
    public void Names_and_addresses_with_or_without_a_real_port_are_valid(string? host) => Assert.True(HostHeader.IsValid(host));

    [Theory]
    [InlineData("alpha:99999")]
    [InlineData("alpha:0")]
    [InlineData("alpha:")]
    [InlineData("alpha:http")]
    [InlineData("alpha:-1")]
    [InlineData("alpha:123456")]
    [InlineData("[::1]:70000")]
    [InlineData("[::1")]
    public void Ports_that_cannot_exist_are_invalid(string host) => Assert.False(HostHeader.IsValid(host));
}
