using System.Collections.Immutable;
using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;
using static MeshDev.Authoring.Tests.Profiles.ProfileFixture;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>The environment of a profile is the one the mesh launches the service with, on the service's fixed port.</summary>
public sealed class MeshLaunchProfileTests
{
    [Fact]
    public void The_environment_is_the_discovery_environment_plus_the_services_own_env_on_its_fixed_port()
    {
        var profile = MeshLaunchProfile.Create(Manifest, Orders, aspNetCoreEnvironment: null, OrdersOutput);

        Assert.Equal("orders (mesh)", profile.Name);
        Assert.Equal("http://127.0.0.1:5180", profile.ApplicationUrl);
        Assert.Equal("build orders", profile.BuildTaskLabel);
        Assert.Equal(
            [
                new("INVENTORY_HTTP", "http://127.0.0.1:15103"),
                new("LOG_LEVEL", "debug"),
                new("MESHDEV_HTTP", "http://127.0.0.1:15000"),
                new("MESHDEV_SERVICE", "orders"),
                new("ORDERS_HTTP", "http://127.0.0.1:15102"),
                new("PORT", "5180"),
                new("SELF_URL", "http://127.0.0.1:5180/"),
                new("WEB_HTTP", "http://127.0.0.1:15101"),
                new("services__inventory__http__0", "http://127.0.0.1:15103"),
                new("services__orders__http__0", "http://127.0.0.1:15102"),
                new("services__web__http__0", "http://127.0.0.1:15101"),
            ],
            profile.Environment.AsEnumerable());
    }

    [Fact]
    public void The_discovery_variables_win_over_the_services_env_as_they_do_when_the_mesh_launches_it()
    {
        var orders = Orders with { Env = ImmutableDictionary<string, string>.Empty.Add("MESHDEV_SERVICE", "mine").Add("PORT", "1") };

        var environment = MeshLaunchProfile.Create(Manifest with { Services = [Orders] }, orders, null, OrdersOutput).Environment.ToDictionary();

        Assert.Equal("orders", environment["MESHDEV_SERVICE"]);
        Assert.Equal("5180", environment["PORT"]);
    }

    [Fact]
    public void ASPNETCORE_ENVIRONMENT_comes_from_the_users_profile_unless_the_manifest_sets_it()
    {
        var fromProfile = MeshLaunchProfile.Create(Manifest, Orders, "Staging", OrdersOutput).Environment.ToDictionary();
        var orders = Orders with { Env = Orders.Env.Add("ASPNETCORE_ENVIRONMENT", "Test") };
        var fromManifest = MeshLaunchProfile.Create(Manifest, orders, "Staging", OrdersOutput).Environment.ToDictionary();

        Assert.Equal("Staging", fromProfile["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("Test", fromManifest["ASPNETCORE_ENVIRONMENT"]);
    }

    [Fact]
    public void A_service_that_opted_into_httpProxy_gets_HTTP_PROXY_as_when_launched()
    {
        var environment = MeshLaunchProfile.Create(Manifest, Orders with { HttpProxy = true }, null, OrdersOutput).Environment.ToDictionary();

        Assert.Equal("http://127.0.0.1:15000", environment["HTTP_PROXY"]);
        Assert.Equal("http://127.0.0.1:15000", environment["http_proxy"]);
    }

    [Fact]
    public void The_launch_settings_profile_says_Project_on_the_fixed_port_without_a_browser()
    {
        var json = LaunchSettingsFile.ToJson(MeshLaunchProfile.Create(Manifest, Inventory, null, InventoryOutput));

        Assert.Equal(["commandName", "launchBrowser", "applicationUrl", "environmentVariables"], json.Select(p => p.Key));
        Assert.Equal("Project", (string?)json["commandName"]);
        Assert.False((bool)json["launchBrowser"]!);
        Assert.Equal("http://127.0.0.1:5190", (string?)json["applicationUrl"]);
    }

    [Fact]
    public void The_VS_Code_configuration_runs_the_built_app_on_the_fixed_port_after_its_build_task()
    {
        var profile = MeshLaunchProfile.Create(Manifest, Inventory, null, InventoryOutput);
        var configuration = VsCodeLaunchFile.ToJson(profile, Workspace);
        var task = VsCodeTasksFile.ToJson(profile, Workspace);

        Assert.Equal("${workspaceFolder}/Inventory/bin/Debug/net8.0/Shop.Inventory.dll", (string?)configuration["program"]);
        Assert.Equal("${workspaceFolder}/Inventory", (string?)configuration["cwd"]);
        Assert.Equal("http://127.0.0.1:5190", (string?)configuration["env"]!["ASPNETCORE_URLS"]);
        Assert.Equal("build inventory", (string?)configuration["preLaunchTask"]);
        Assert.Equal("build inventory", (string?)task["label"]);
        Assert.Equal(["build", "${workspaceFolder}/Inventory/Inventory.csproj"], task["args"]!.AsArray().Take(2).Select(a => (string?)a));
    }

    [Fact]
    public void A_service_without_a_fixed_port_has_no_profile()
    {
        Assert.Throws<ArgumentException>(() => MeshLaunchProfile.Create(Manifest, Orders with { Port = null }, null, OrdersOutput));
    }

    [Theory]
    [InlineData("orders (mesh)", true)]
    [InlineData("http", false)]
    [InlineData("orders (Mesh)", false)]
    public void Profile_names_of_the_mesh_are_recognised(string name, bool expected)
    {
        Assert.Equal(expected, MeshLaunchProfile.IsProfileName(name));
    }
}
