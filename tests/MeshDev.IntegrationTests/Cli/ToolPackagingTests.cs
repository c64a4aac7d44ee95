using System.Diagnostics;
using System.IO.Compression;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev</c> packs as a .NET tool with its readme, installs with <c>dotnet tool install</c>, and runs a mesh from there.</summary>
public sealed class ToolPackagingTests
{
    [Fact]
    public async Task Packed_tool_carries_its_readme_installs_and_runs_up_status_and_down()
    {
        await using var cli = new MeshdevCli();
        var packages = Path.Combine(cli.Directory, "packages");
        var tools = Path.Combine(cli.Directory, "tools");
        await RunDotnetAsync("pack", CliProject(), "-c", Configuration(), "--no-build", "-o", packages);
        AssertReadmeIsPacked(Path.Combine(packages, "MeshDev.Cli.0.1.0.nupkg"));
        AssertGatewayIsPacked(Path.Combine(packages, "MeshDev.Cli.0.1.0.nupkg"));
        await RunDotnetAsync("tool", "install", "--tool-path", tools, "--add-source", packages, "MeshDev.Cli", "--version", "0.1.0");
        cli.Executable = Path.Combine(tools, "meshdev");
        HostRuntimeSettingsTests.AssertSpinWaitingOff(Assert.Single(Directory.GetFiles(tools, "meshdev.runtimeconfig.json", SearchOption.AllDirectories)));

        var manifest = new ManifestBuilder(cli.Tag).Service("orders");
        cli.WriteManifest(manifest.ToYaml());
        Assert.Contains("valid, 1 service", (await cli.RunOkAsync("validate")).Stdout);

        await cli.RunOkAsync("up", "--detach");
        using var http = TestMesh.NewHttpClient();
        Assert.Equal("hello from orders", await http.GetStringAsync($"http://127.0.0.1:{manifest.MeshPorts["orders"]}/"));
        Assert.Equal("ready", MeshdevCli.ServiceIn(await cli.StatusAsync(), "orders").GetProperty("state").GetString());

        await cli.RunOkAsync("down");
        await Eventually.UntilAsync(() => cli.FindTaggedProcesses().Count == 0, "no process of the mesh left after down");
        Assert.False(File.Exists(cli.DaemonFile));
    }

    private static void AssertReadmeIsPacked(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        var nuspec = Assert.Single(zip.Entries, e => e.FullName == "MeshDev.Cli.nuspec");
        using (var reader = new StreamReader(nuspec.Open()))
        {
            Assert.Contains("<readme>README.md</readme>", reader.ReadToEnd(), StringComparison.Ordinal);
        }

        var readme = zip.GetEntry("README.md");
        Assert.True(readme is not null, $"no README.md in {package}: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var text = new StreamReader(readme.Open());
        var content = text.ReadToEnd();
        Assert.StartsWith("# meshdev", content, StringComparison.Ordinal);
        Assert.Contains("dotnet tool install --global MeshDev.Cli", content, StringComparison.Ordinal);
    }

    /// <summary>The pods' gateway and the libraries of its image, where the mesh looks for them in the tool's folder (GatewayBinary).</summary>
    private static void AssertGatewayIsPacked(string package)
    {
        using var zip = ZipFile.OpenRead(package);
        const string Folder = "tools/net10.0/any/gateway/linux-x64/";
        var packed = zip.Entries.Select(e => e.FullName).Where(name => name.StartsWith(Folder, StringComparison.Ordinal)).ToArray();

        Assert.Contains(Folder + "meshdev-gateway", packed);
        Assert.Contains(packed, name => name.StartsWith(Folder + "rootfs/", StringComparison.Ordinal) && name.Contains("libc.so", StringComparison.Ordinal));
        Assert.DoesNotContain(packed, name => name.EndsWith(".dbg", StringComparison.Ordinal) || name.EndsWith(".pdb", StringComparison.Ordinal));
        Assert.True(zip.GetEntry(Folder + "meshdev-gateway")!.Length > 1024 * 1024, "the packed gateway is not a NativeAOT binary");
    }

    private static string Configuration() => new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static string CliProject()
    {
        // …/tests/MeshDev.IntegrationTests/bin/<Config>/net10.0/ → the repository root is five levels up.
        var root = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        return Path.Combine(root, "src", "MeshDev.Cli", "MeshDev.Cli.csproj");
    }

    private static async Task RunDotnetAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)} exited {process.ExitCode}:{Environment.NewLine}{await stdout}{Environment.NewLine}{await stderr}");
    }
}
