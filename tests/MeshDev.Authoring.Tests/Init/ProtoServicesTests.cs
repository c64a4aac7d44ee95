using MeshDev.Authoring.Init;

namespace MeshDev.Authoring.Tests.Init;

public sealed class ProtoServicesTests
{
    [Fact]
    public void Services_are_qualified_with_the_package_and_comments_and_strings_do_not_count()
    {
        const string Proto = """
            syntax = "proto3";
            // service Commented { }
            option csharp_namespace = "service Fake {";
            package shop.orders.v1;
            /* service Blocked {
               } */
            service Orders {
              rpc Get (GetRequest) returns (Order);
            }
            service OrderEvents{ rpc Watch (WatchRequest) returns (stream Order); }
            message Order { string service = 1; }
            """;

        Assert.Equal(["shop.orders.v1.Orders", "shop.orders.v1.OrderEvents"], ProtoServices.Parse(Proto));
    }

    [Fact]
    public void Without_a_package_the_service_name_stands_alone()
    {
        Assert.Equal(["Greeter"], ProtoServices.Parse("syntax = \"proto3\";\nservice Greeter {\n}\n"));
    }
}
