using System.Text;
using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>The files of a whole run, on disk: which are created, updated or unchanged, and nothing planned when one is invalid.</summary>
public sealed class ProfilePlanTests : IDisposable
{
    private const string Yaml = """
        services:
          orders:
            project: Orders/Orders.csproj
            port: 5180
          billing:                      # another service of the same project
            project: Orders/Orders.csproj
            port: 5181
          inventory:
            project: Inventory/Inventory.csproj
            port: 5190
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-plan-").FullName;

    public ProfilePlanTests()
    {
        foreach (var name in (string[])["Orders", "Inventory"])
        {
            Directory.CreateDirectory(Path.Combine(_directory, name));
            File.WriteAllText(Path.Combine(_directory, name, $"{name}.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>");
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void The_first_run_creates_every_file_and_the_second_leaves_them_unchanged()
    {
        var manifest = Load();
        var first = ProfilePlan.Create(manifest, manifest.Services);
        foreach (var file in first.Files)
        {
            file.Write();
        }

        var second = ProfilePlan.Create(manifest, manifest.Services);

        Assert.Empty(first.Errors);
        Assert.Equal(
            [
                Path.Combine(_directory, "Orders", "Properties", "launchSettings.json"),
                Path.Combine(_directory, "Inventory", "Properties", "launchSettings.json"),
                Path.Combine(_directory, ".vscode", "launch.json"),
                Path.Combine(_directory, ".vscode", "tasks.json"),
            ],
            first.Files.Select(f => f.Path));
        Assert.All(first.Files, f => Assert.Equal(ProfileFileStatus.Created, f.Status));
        Assert.All(second.Files, f => Assert.Equal(ProfileFileStatus.Unchanged, f.Status));
        var orders = File.ReadAllText(Path.Combine(_directory, "Orders", "Properties", "launchSettings.json"));
        Assert.Contains("\"orders (mesh)\"", orders, StringComparison.Ordinal);
        Assert.Contains("\"billing (mesh)\"", orders, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory, ".vscode"), "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_file_that_is_not_valid_JSONC_is_reported_with_its_path_line_and_column()
    {
        var launchJson = Path.Combine(_directory, ".vscode", "launch.json");
        Directory.CreateDirectory(Path.GetDirectoryName(launchJson)!);
        File.WriteAllText(launchJson, "{\n  \"configurations\": [\n    { \"name\": \"x\" \n  ]\n}\n");
        var manifest = Load();

        var plan = ProfilePlan.Create(manifest, manifest.Services);

        Assert.Equal([$"{launchJson}:4:3: not valid JSON: ']' is invalid without a matching open."], plan.Errors.AsEnumerable());
        Assert.DoesNotContain(plan.Files, f => f.Path == launchJson);
    }

    [Fact]
    public void An_edit_keeps_the_files_permissions_and_replaces_it_in_one_step()
    {
        var settings = Path.Combine(_directory, "Inventory", "Properties", "launchSettings.json");
        Directory.CreateDirectory(Path.GetDirectoryName(settings)!);
        File.WriteAllText(settings, "{ \"profiles\": {} }\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(settings, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var manifest = Load();
        var file = ProfilePlan.Create(manifest, [manifest.Find("inventory")!]).Files[0];
        file.Write();

        Assert.Equal(ProfileFileStatus.Updated, file.Status);
        Assert.Equal(file.After, File.ReadAllBytes(settings));
        Assert.StartsWith("{ \"profiles\": {\n  \"inventory (mesh)\": {", Encoding.UTF8.GetString(file.After), StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(settings));
        }

        Assert.Equal(["launchSettings.json"], Directory.GetFiles(Path.GetDirectoryName(settings)!).Select(Path.GetFileName));
    }

    private MeshManifest Load() => ManifestLoader.Parse(Yaml, Path.Combine(_directory, "meshdev.yaml"));
}
