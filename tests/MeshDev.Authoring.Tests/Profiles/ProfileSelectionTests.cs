using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;
using static MeshDev.Authoring.Tests.Profiles.ProfileFixture;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>Which services get a profile, and the one sentence for each that does not.</summary>
public sealed class ProfileSelectionTests : IDisposable
{
    private static readonly Func<int, bool> AllFree = _ => true;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-profiles-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Without_names_every_dotnet_service_is_selected_in_manifest_order()
    {
        var selection = ProfileSelection.Select(Manifest, [], AllFree);

        Assert.Equal(["orders", "inventory"], selection.Targets.Select(s => s.Name));
        Assert.Empty(selection.Skipped.AsEnumerable());
        Assert.Empty(selection.Unknown);
    }

    [Fact]
    public void Named_services_are_selected_whatever_their_case_and_unknown_names_are_reported()
    {
        var selection = ProfileSelection.Select(Manifest, ["Inventory", "billing"], AllFree);

        Assert.Equal(["inventory"], selection.Targets.Select(s => s.Name));
        Assert.Equal(["billing"], selection.Unknown.AsEnumerable());
    }

    [Fact]
    public void A_named_service_that_is_not_dotnet_is_skipped_with_a_sentence()
    {
        var selection = ProfileSelection.Select(Manifest, ["web", "orders"], AllFree);

        Assert.Equal(["orders"], selection.Targets.Select(s => s.Name));
        Assert.Equal(["web is not a .NET service (it has no 'project:'), so there is no launch profile to write for it; skipped."], selection.Skipped.AsEnumerable());
    }

    [Fact]
    public void A_service_with_port_auto_is_skipped_with_a_free_port_to_add_outside_the_meshs_ports()
    {
        // The mesh's range covers 5100-5199 here, and 5200 is taken by another program.
        var manifest = Manifest with
        {
            Mesh = new MeshSettings { PortRangeStart = 5000, PortRangeEnd = 5199 },
            Services = [Orders with { Port = null }, Inventory with { Port = null }, Web with { Port = 5201 }],
        };

        var selection = ProfileSelection.Select(manifest, [], port => port != 5200);

        Assert.Empty(selection.Targets);
        Assert.Equal(
            [
                "orders has no fixed port (port: auto), so the mesh could not find and adopt an instance run from the IDE; skipped: --assign-ports writes 'port: 5202' for it into meshdev.yaml (or add that line yourself).",
                "inventory has no fixed port (port: auto), so the mesh could not find and adopt an instance run from the IDE; skipped: --assign-ports writes 'port: 5203' for it into meshdev.yaml (or add that line yourself).",
            ],
            selection.Skipped.AsEnumerable());
        Assert.Equal(new Dictionary<string, int> { ["orders"] = 5202, ["inventory"] = 5203 }, selection.PortsToSuggest);
    }

    [Fact]
    public void The_port_suggested_for_a_service_is_the_same_whichever_services_are_named()
    {
        // What a run without names suggests is what a run naming only inventory (with --assign-ports, say) writes.
        var manifest = Manifest with { Services = [Web, Orders with { Port = null }, Inventory with { Port = null }] };

        var all = ProfileSelection.Select(manifest, [], AllFree);
        var one = ProfileSelection.Select(manifest, ["inventory"], AllFree);

        Assert.Equal(new Dictionary<string, int> { ["orders"] = 5100, ["inventory"] = 5101 }, all.PortsToSuggest);
        Assert.Equal(new Dictionary<string, int> { ["inventory"] = 5101 }, one.PortsToSuggest);
        Assert.Contains("writes 'port: 5101' for it", one.Skipped.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_port_suggested_is_the_one_the_users_default_profile_already_uses_when_it_is_free()
    {
        var project = Path.Combine(_directory, "Orders", "Orders.csproj");
        Directory.CreateDirectory(Path.Combine(_directory, "Orders", "Properties"));
        File.WriteAllText(
            Path.Combine(_directory, "Orders", "Properties", "launchSettings.json"),
            """{ "profiles": { "https": { "commandName": "Project", "applicationUrl": "https://localhost:7181;http://localhost:5062" } } }""");
        var manifest = Manifest with { Services = [Orders with { Project = project, Port = null }] };

        Assert.Contains("writes 'port: 5062'", ProfileSelection.Select(manifest, [], AllFree).Skipped.Single(), StringComparison.Ordinal);
        Assert.Contains("writes 'port: 5100'", ProfileSelection.Select(manifest, [], port => port != 5062).Skipped.Single(), StringComparison.Ordinal);
    }
}
