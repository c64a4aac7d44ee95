using System.Net;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Runtime;
using MeshDev.Testing.Docker;
using MeshDev.Testing;

namespace MeshDev.Docker.Tests.Images;

/// <summary>
/// The real engine pulls from <see cref="TestRegistry"/>, the in-process stand-in for a container registry (no real
/// registry can run or be reached here): a pull downloads and extracts layers with progress, an unknown name fails.
/// </summary>
[Collection("docker")]
public sealed class TestRegistryTests(TestImages images)
{
    [Fact]
    public async Task Engine_pulls_from_the_stand_in_registry_with_layer_download_progress_and_runs_the_image()
    {
        await using var registry = await images.StartRegistryAsync();
        // Slow enough that the engine reports the download in several steps.
        registry.BlobChunkDelay = TimeSpan.FromMilliseconds(10);
        var progress = new EngineMessages();
        try
        {
            await images.Docker.Images.CreateImageAsync(
                new ImagesCreateParameters { FromImage = registry.Repository, Tag = TestRegistry.ServedTag }, null, progress);

            Assert.Null(progress.Error);
            var layer = registry.LayerDigests.Single();
            // The engine names a layer by the first 12 hex digits of its blob digest.
            var layerId = layer["sha256:".Length..][..12];
            var downloads = progress.Messages.Where(m => m.ID == layerId && m.Status == "Downloading").ToArray();
            Assert.True(downloads.Length > 0, $"no download progress for layer {layerId}:{Environment.NewLine}{progress.Text}");
            Assert.All(downloads, m => Assert.True(m.Progress is { Total: > 0 }, progress.Text));
            Assert.Contains(progress.Messages, m => m.ID == layerId && m.Status == "Pull complete");
            Assert.Contains(registry.Requests, r => r.StartsWith($"GET /v2/{TestRegistry.RepositoryPath}/blobs/{layer} → 200", StringComparison.Ordinal));

            // What was pulled is the busybox image: it serves /www.
            var port = TestPorts.Free();
            await using var container = await TestContainer.StartAsync(
                images.Docker, registry.Reference, environment: new Dictionary<string, string> { ["PORT"] = $"{port}" });
            using var http = new HttpClient();
            using var response = await container.GetWhenListeningAsync(http, $"http://127.0.0.1:{port}/");
            Assert.Equal(images.BusyboxIndexHtml, await response.Content.ReadAsStringAsync());
        }
        finally
        {
            await RemoveImageAsync(registry.Reference);
        }
    }

    [Fact]
    public async Task Pulling_a_name_the_stand_in_registry_does_not_know_fails_with_the_engines_error()
    {
        await using var registry = await images.StartRegistryAsync();
        var (repository, tag) = LocalImages.Split(registry.UnknownReference);
        var progress = new EngineMessages();

        var error = await Assert.ThrowsAnyAsync<DockerApiException>(() => images.Docker.Images.CreateImageAsync(
            new ImagesCreateParameters { FromImage = repository, Tag = tag }, null, progress));

        // The engine's own words, e.g. "repository 127.0.0.1:{port}/meshdev-test/unknown not found: name unknown: …".
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains($"repository {repository} not found", error.ResponseBody);
        Assert.Contains("repository name not known to registry", error.ResponseBody);
        Assert.DoesNotContain(progress.Messages, m => m.Status == "Downloading");
        Assert.True(registry.RequestCount > 0, "the engine never asked the registry");
        Assert.Contains(registry.Requests, r => r.Contains("/meshdev-test/unknown/manifests/1 → 404", StringComparison.Ordinal));
    }

    private async Task RemoveImageAsync(string reference)
    {
        try
        {
            await images.Docker.Images.DeleteImageAsync(reference, new ImageDeleteParameters { Force = true });
        }
        catch (DockerImageNotFoundException)
        {
        }
    }
}
