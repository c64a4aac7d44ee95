using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Tests.Compose;

public sealed class ServiceNamesTests
{
    [Theory]
    [InlineData("my_db", "my-db")]
    [InlineData("Orders.API", "orders-api")]
    [InlineData("__weird__name__", "weird-name")]
    [InlineData("a  b", "a-b")]
    [InlineData("_", "service")]
    [InlineData("café", "caf")]
    [InlineData("9lives", "9lives")]
    public void Converts_to_a_DNS_label(string compose, string label)
    {
        Assert.Equal(label, ServiceNames.ToDnsLabel(compose));
    }

    [Fact]
    public void Long_names_are_cut_to_63_characters_without_a_trailing_dash()
    {
        var label = ServiceNames.ToDnsLabel(new string('a', 62) + "_b");

        Assert.Equal(new string('a', 62), label);
    }

    [Fact]
    public void Valid_names_are_kept_and_converted_ones_never_take_a_name_in_use()
    {
        var names = ServiceNames.Assign(["My_Api", "my-api", "MY.API", "web", new string('x', 63), new string('x', 63) + "_"]);

        Assert.Equal("my-api-2", names["My_Api"]);
        Assert.Equal("my-api", names["my-api"]);
        Assert.Equal("my-api-3", names["MY.API"]);
        Assert.Equal("web", names["web"]);
        Assert.Equal(new string('x', 63), names[new string('x', 63)]);
        Assert.Equal(new string('x', 61) + "-2", names[new string('x', 63) + "_"]);
    }
}
