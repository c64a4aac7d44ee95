using MeshDev.Authoring.Init;

namespace MeshDev.Authoring.Tests.Init;

public sealed class ProjectNamesTests
{
    [Theory]
    [InlineData("Frontend", "frontend")]
    [InlineData("OrderService", "order-service")]
    [InlineData("Shop.Orders.Api", "shop-orders-api")]
    [InlineData("HTTPGateway", "http-gateway")]
    [InlineData("Api2Gateway", "api2-gateway")]
    [InlineData("my_web", "my-web")]
    public void Project_names_become_lower_kebab_case_dns_labels(string project, string service)
    {
        Assert.Equal(service, ProjectNames.ToServiceName(project));
    }
}
