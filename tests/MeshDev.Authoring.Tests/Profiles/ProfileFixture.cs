using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Text;
using MeshDev.Authoring.Profiles;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Tests.Profiles;

/// <summary>
/// The manifest the merge tests write profiles for (built in code: the merge never looks at the disk), the test data
/// files, and golden-file comparison. MESHDEV_UPDATE_GOLDEN=1 rewrites a golden file from the actual output, to be reviewed in the diff.
/// </summary>
internal static class ProfileFixture
{
    public const string Workspace = "/work/shop";

    public static readonly string DataDirectory = Path.Combine(AppContext.BaseDirectory, "Profiles", "Data");

    public static readonly ProjectOutput OrdersOutput = new("Orders", "net10.0");

    public static readonly ProjectOutput InventoryOutput = new("Shop.Inventory", "net8.0");

    public static ServiceSpec Orders { get; } = new()
    {
        Name = "orders",
        Project = $"{Workspace}/Orders/Orders.csproj",
        WorkingDir = $"{Workspace}/Orders",
        Port = 5180,
        MeshPort = 15102,
        Env = ImmutableDictionary<string, string>.Empty
            .Add("LOG_LEVEL", "debug")
            .Add("SELF_URL", "http://127.0.0.1:${PORT}/"),
    };

    public static ServiceSpec Inventory { get; } = new()
    {
        Name = "inventory",
        Project = $"{Workspace}/Inventory/Inventory.csproj",
        WorkingDir = $"{Workspace}/Inventory",
        Port = 5190,
        MeshPort = 15103,
    };

    /// <summary>Not a .NET service: a command.</summary>
    public static ServiceSpec Web { get; } = new()
    {
        Name = "web",
        Command = "./web/serve.sh",
        WorkingDir = Workspace,
        MeshPort = 15101,
    };

    public static MeshManifest Manifest { get; } = new($"{Workspace}/meshdev.yaml", new MeshSettings(), [Web, Orders, Inventory]);

    /// <summary>A data file's bytes; null when <paramref name="name"/> is null (the file does not exist).</summary>
    public static byte[]? Read(string? name) => name is null ? null : File.ReadAllBytes(Path.Combine(DataDirectory, name));

    /// <summary>orders' launchSettings.json after the merge, as <c>meshdev profiles</c> merges it.</summary>
    public static byte[] MergeLaunchSettings(byte[]? file)
    {
        var editor = new JsoncEditor(file, LaunchSettingsFile.DefaultIndent);
        LaunchSettingsFile.Merge(editor, Manifest, Orders, OrdersOutput);
        return editor.ToBytes();
    }

    /// <summary>The profiles of orders and inventory, with the ASPNETCORE_ENVIRONMENT their launchSettings.json would give.</summary>
    public static MeshLaunchProfile[] BothProfiles(string? aspNetCoreEnvironment = "Development") =>
    [
        MeshLaunchProfile.Create(Manifest, Orders, aspNetCoreEnvironment, OrdersOutput),
        MeshLaunchProfile.Create(Manifest, Inventory, aspNetCoreEnvironment: null, InventoryOutput),
    ];

    public static void AssertGolden(string expectedName, byte[] actual, [CallerFilePath] string callerFile = "")
    {
        var expectedPath = Path.Combine(DataDirectory, expectedName);
        if (Environment.GetEnvironmentVariable("MESHDEV_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(callerFile)!, "Data", expectedName), actual);
            return;
        }

        var expected = File.ReadAllBytes(expectedPath);

        // Text first, so a failure shows where; then bytes, which also catch line endings and a byte order mark.
        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    /// <summary>True when every byte of <paramref name="original"/> is still there, in order: the merge only inserted.</summary>
    public static bool OnlyInserted(byte[] original, byte[] merged)
    {
        var next = 0;
        foreach (var b in merged)
        {
            if (next < original.Length && original[next] == b)
            {
                next++;
            }
        }

        return next == original.Length;
    }
}
