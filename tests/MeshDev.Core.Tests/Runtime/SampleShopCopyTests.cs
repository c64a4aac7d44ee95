using MeshDev.Catalog;

namespace MeshDev.Runtime.Tests;

/// <summary>
/// The sample shop as a newcomer takes it: copied into a folder of their own, outside this repository, where no
/// Directory.Build.props or Directory.Packages.props above it says how to build (it used to import the repository's,
/// and a copy failed with NETSDK1013 or MSB4181).
/// </summary>
public sealed class SampleShopCopyTests : IDisposable
{
    private static readonly string[] BuildOutput = ["bin", "obj", ".meshdev"];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_copy_of_the_sample_shop_outside_the_repository_builds_every_service_as_the_mesh_builds_it()
    {
        var shop = _dir.Combine("shop");
        Copy(SampleShop(), shop);
        var manifest = ManifestLoader.Load(Path.Combine(shop, "meshdev.yaml"));
        var logs = manifest.Services.Select(s => new LogRecorder(s.Name)).ToList();
        using var runtime = new ProcessRuntime(Path.Combine(shop, ".meshdev"));
        try
        {
            var result = await runtime.PrebuildAsync([.. manifest.Services.Zip(logs, (s, log) => (s, log.Log))]).WaitAsync(Wait.Build);

            Assert.True(result.Failed.Count == 0, string.Join("\n", result.Failed.Select(f => $"{f.Service}: {f.Cause}")));
            Assert.Equal(["frontend", "orders", "inventory", "pricing"], result.Built);
        }
        finally
        {
            logs.ForEach(log => log.Dispose());
        }
    }

    private static string SampleShop()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return Path.Combine(directory.FullName, "samples", "shop");
            }
        }

        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds MeshDev.sln");
    }

    /// <summary>The sample's sources, as a checkout has them: not what a build in the repository left there.</summary>
    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(from).Where(d => !BuildOutput.Contains(Path.GetFileName(d))))
        {
            Copy(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
