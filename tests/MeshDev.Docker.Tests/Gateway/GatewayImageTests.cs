using System.Formats.Tar;
using System.Text.Json;
using Docker.DotNet.Models;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;
using MeshDev.Testing;

namespace MeshDev.Docker.Tests.Gateway;

/// <summary>The pods' gateway image, built from the real NativeAOT gateway on the real engine, and the gateway running in it.</summary>
[Collection("docker")]
public sealed class GatewayImageTests(TestImages images, PublishedGateway gateway) : IClassFixture<PublishedGateway>, IAsyncLifetime
{
    private const long MaxImageSize = 20L * 1024 * 1024;

    // Unique per test run, under the tests' own repository, and removed at the end.
    private readonly string _tag = $"{ImageTags.Repository}/gateway:{Guid.NewGuid():N}";
    private readonly List<string> _lines = [];

    [Fact]
    public async Task Image_is_from_scratch_with_only_the_gateway_and_its_libraries_and_under_20_MB()
    {
        var built = await GatewayImage.EnsureAsync(images.Docker, _tag, gateway.BinaryPath, _lines.Add, CancellationToken.None);

        Assert.True(built);
        Assert.StartsWith($"building the gateway image {_tag} (", Assert.Single(_lines), StringComparison.Ordinal);
        var image = await images.Docker.Images.InspectImageAsync(_tag);
        Assert.InRange(image.Size, 1, MaxImageSize);
        Assert.Equal("65532:65532", image.Config.User);
        Assert.Equal([GatewayImage.Entrypoint], image.Config.Entrypoint);
        Assert.Equal("gateway", image.Config.Labels[GatewayImage.Label]);
        Assert.Equal(ExpectedFiles(), await FilesInAsync(_tag));
    }

    [Fact]
    public async Task A_second_ensure_finds_the_image_and_does_not_build_again()
    {
        await GatewayImage.EnsureAsync(images.Docker, _tag, gateway.BinaryPath, _lines.Add, CancellationToken.None);
        var first = await images.Docker.Images.InspectImageAsync(_tag);

        var builtAgain = await GatewayImage.EnsureAsync(images.Docker, _tag, gateway.BinaryPath, _lines.Add, CancellationToken.None);

        Assert.False(builtAgain);
        Assert.Single(_lines);
        Assert.Equal(first.ID, (await images.Docker.Images.InspectImageAsync(_tag)).ID);
    }

    [Fact]
    public async Task Gateway_in_its_image_answers_503_problem_json_while_no_link_is_connected()
    {
        await GatewayImage.EnsureAsync(images.Docker, _tag, gateway.BinaryPath, _lines.Add, CancellationToken.None);
        var linkPort = TestPorts.Free();
        var meshPort = TestPorts.Free();
        await using var container = await TestContainer.StartAsync(images.Docker, _tag, environment: new Dictionary<string, string>
        {
            ["MESHDEV_SERVICE"] = "orders",
            ["MESHDEV_GATEWAY_LINK_PORT"] = $"{linkPort}",
            ["MESHDEV_GATEWAY_PORTS"] = $"{meshPort}=users",
        });
        await container.WaitForStdoutAsync("mesh ports on 127.0.0.1");

        // The gateway holds a call for a while in case the first link is on its way, then answers: curl just waits.
        var (exitCode, output) = await ChildProcess.RunAsync(
            "curl", ["-sS", "-i", "--max-time", "60", $"http://127.0.0.1:{meshPort}/"], AppContext.BaseDirectory, CancellationToken.None);

        Assert.True(exitCode == 0, $"curl exited {exitCode}: {output}");
        // The output arrives line by line, so the blank line between head and body is a plain "\n\n".
        var (head, body) = output.ReplaceLineEndings("\n").Split("\n\n", 2) is [var h, var b] ? (h, b) : (output, "");
        Assert.StartsWith("HTTP/1.1 503", head, StringComparison.Ordinal);
        Assert.Contains("Content-Type: application/problem+json", head, StringComparison.OrdinalIgnoreCase);
        using var problem = JsonDocument.Parse(body);
        Assert.Contains("the developer's mesh is not connected", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("65532:65532", (await container.InspectAsync()).Config.User);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            await images.Docker.Images.DeleteImageAsync(_tag, new ImageDeleteParameters { Force = true });
        }
        catch (global::Docker.DotNet.DockerImageNotFoundException)
        {
        }
    }

    /// <summary>What the image must hold: the binary at its entrypoint and each library of rootfs/ at its path.</summary>
    private SortedSet<string> ExpectedFiles()
    {
        var libraries = Path.Combine(Path.GetDirectoryName(gateway.BinaryPath)!, GatewayImage.LibrariesFolder);
        var files = new SortedSet<string>(StringComparer.Ordinal) { GatewayImage.Entrypoint.TrimStart('/') };
        foreach (var library in Directory.EnumerateFiles(libraries, "*", SearchOption.AllDirectories))
        {
            files.Add(Path.GetRelativePath(libraries, library));
        }

        return files;
    }

    /// <summary>The regular files of the image's layers, from <c>docker save</c>: what the image is, not what a container adds.</summary>
    private async Task<SortedSet<string>> FilesInAsync(string image)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var archive = new MemoryStream();
        await using (var saved = await images.Docker.Images.SaveImageAsync(image, CancellationToken.None))
        {
            await saved.CopyToAsync(archive);
        }

        archive.Position = 0;
        using (var reader = new TarReader(archive))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                if (entry.DataStream is { } data)
                {
                    using var copy = new MemoryStream();
                    await data.CopyToAsync(copy);
                    entries[entry.Name] = copy.ToArray();
                }
            }
        }

        using var manifest = JsonDocument.Parse(entries["manifest.json"]);
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var layer in manifest.RootElement[0].GetProperty("Layers").EnumerateArray())
        {
            using var reader = new TarReader(new MemoryStream(entries[layer.GetString()!]));
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    files.Add(entry.Name.TrimStart('.', '/'));
                }
            }
        }

        return files;
    }
}
