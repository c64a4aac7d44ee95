using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary><c>--assign-ports</c>: <c>port: N</c> written into the manifest's YAML, every other character as it was.</summary>
public sealed class ManifestPortWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-ports-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, string> Manifests => new()
    {
        // No port: a line before the service's first key, at its indentation (after comments above it).
        {
            "services:\n  orders:\n    # the API\n    project: Orders/Orders.csproj   # built once\n    meshPort: 15102\n",
            "services:\n  orders:\n    # the API\n    port: 5100\n    project: Orders/Orders.csproj   # built once\n    meshPort: 15102\n"
        },

        // port: auto, plain or quoted: only the value changes; the comment after it stays.
        {
            "services:\n    orders:\n        project: Orders/Orders.csproj\n        port: auto      # a free port each launch\n",
            "services:\n    orders:\n        project: Orders/Orders.csproj\n        port: 5100      # a free port each launch\n"
        },
        {
            "services:\n  orders:\n    port: \"auto\"\n    project: Orders/Orders.csproj\n",
            "services:\n  orders:\n    port: 5100\n    project: Orders/Orders.csproj\n"
        },

        // A flow mapping gets it as its first entry.
        {
            "services:\n  orders: { project: Orders/Orders.csproj, meshPort: 15102 }\n",
            "services:\n  orders: { port: 5100, project: Orders/Orders.csproj, meshPort: 15102 }\n"
        },

        // CRLF stays CRLF.
        {
            "services:\r\n  orders:\r\n    project: Orders/Orders.csproj\r\n",
            "services:\r\n  orders:\r\n    port: 5100\r\n    project: Orders/Orders.csproj\r\n"
        },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public void The_port_is_written_and_nothing_else_changes(string yaml, string expected)
    {
        Assert.Equal(expected, ManifestPortWriter.Assign(yaml, new Dictionary<string, int> { ["orders"] = 5100 }));
    }

    [Fact]
    public void Several_services_each_get_their_own_port()
    {
        const string Yaml = "services:\n  web:\n    command: ./web\n  orders:\n    project: Orders/Orders.csproj\n  inventory:\n    project: Inventory/Inventory.csproj\n    port: auto\n";

        var written = ManifestPortWriter.Assign(Yaml, new Dictionary<string, int> { ["orders"] = 5100, ["inventory"] = 5101 });

        Assert.Equal("services:\n  web:\n    command: ./web\n  orders:\n    port: 5100\n    project: Orders/Orders.csproj\n  inventory:\n    project: Inventory/Inventory.csproj\n    port: 5101\n", written);
    }

    [Fact]
    public void The_manifest_file_keeps_its_byte_order_mark_and_reads_back_with_the_port()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "Orders"));
        File.WriteAllText(Path.Combine(_directory, "Orders", "Orders.csproj"), "<Project />");
        var path = Path.Combine(_directory, "meshdev.yaml");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "services:\n  orders:\n    project: Orders/Orders.csproj\n"u8]);

        var (file, manifest) = ManifestPortWriter.Assign(ManifestLoader.Load(path), new Dictionary<string, int> { ["orders"] = 5100 });

        Assert.Equal(ProfileFileStatus.Updated, file.Status);
        Assert.Equal((byte[])[0xEF, 0xBB, 0xBF, .. "services:\n  orders:\n    port: 5100\n    project: Orders/Orders.csproj\n"u8], file.After);
        Assert.Equal(5100, manifest.Find("orders")!.Port);
        Assert.Equal("services:\n  orders:\n    project: Orders/Orders.csproj\n", File.ReadAllText(path));
    }
}
