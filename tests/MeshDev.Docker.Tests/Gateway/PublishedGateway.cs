using MeshDev.Testing.Docker;

namespace MeshDev.Docker.Tests.Gateway;

/// <summary>
/// src/MeshDev.Gateway published with NativeAOT for linux-x64, as the tool's pack and a checkout publish it (the binary
/// and its libraries in rootfs/): once per change of its sources, since the publish takes a while on a small machine.
/// </summary>
public sealed class PublishedGateway : IAsyncLifetime
{
    private static readonly TimeSpan PublishDeadline = TimeSpan.FromMinutes(10);

    /// <summary>The published binary; <c>rootfs/</c> beside it holds its libraries.</summary>
    public string BinaryPath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var gateway = Path.Combine(RepositoryPaths.Root, "src", "MeshDev.Gateway");
        var sources = SourceHash.Of(gateway, Path.Combine(RepositoryPaths.Root, "src", "MeshDev.Link"))[..16];
        var root = Path.Combine(AppContext.BaseDirectory, "gateway-aot");
        var output = Path.Combine(root, sources);
        BinaryPath = Path.Combine(output, "meshdev-gateway");
        if (File.Exists(BinaryPath) && Directory.Exists(Path.Combine(output, GatewayImage.LibrariesFolder)))
        {
            return;
        }

        // Its own artifacts folder: a pack of the tool may publish the gateway in the checkout's obj/ at the same time.
        string[] arguments =
        [
            "publish", Path.Combine(gateway, "MeshDev.Gateway.csproj"), "-c", "Release", "-r", "linux-x64", "-o", output,
            "-p:UseArtifactsOutput=true", $"-p:ArtifactsPath={Path.Combine(root, "artifacts")}", "--nologo", "--disable-build-servers",
        ];
        using var deadline = new CancellationTokenSource(PublishDeadline);
        var (exitCode, log) = await ChildProcess.RunAsync(ChildProcess.Dotnet, arguments, RepositoryPaths.Root, deadline.Token);
        if (exitCode != 0 || !File.Exists(BinaryPath))
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed (exit code {exitCode}):{Environment.NewLine}{log}");
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
