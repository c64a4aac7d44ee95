using System.Globalization;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Docker;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>What the engine has for a mesh, asked the way a person would with <c>docker ps -a --filter label=…</c>.</summary>
internal static class MeshContainerQueries
{
    public static async Task<IList<ContainerListResponse>> ContainersOfAsync(this DockerClient docker, string meshId, string? service = null) =>
        await docker.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = ContainerLabels.Filter(meshId, service) });

    /// <summary>The one container of <paramref name="service"/>, inspected; fails when there is none or more than one.</summary>
    public static async Task<ContainerInspectResponse> SingleContainerAsync(this DockerClient docker, string meshId, string service)
    {
        var containers = await docker.ContainersOfAsync(meshId, service);
        Assert.True(containers.Count == 1, $"expected one container of '{service}', found {containers.Count}: {string.Join(", ", containers.Select(c => $"{c.ID[..12]} {c.State}"))}");
        return await docker.Containers.InspectContainerAsync(containers[0].ID);
    }

    /// <summary>The signals the engine sent to a container (its <c>kill</c> events, e.g. "15", "9") since <paramref name="since"/>, as <c>docker events</c> shows them.</summary>
    public static async Task<IReadOnlyList<string>> SignalsSentAsync(this DockerClient docker, string containerId, DateTimeOffset since)
    {
        var events = new EventList();
        var parameters = new ContainerEventsParameters
        {
            Since = since.AddSeconds(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            // A bound in the past ends the stream once the engine has sent what it recorded.
            Until = DateTimeOffset.UtcNow.AddSeconds(1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["container"] = new Dictionary<string, bool> { [containerId] = true } },
        };
        await docker.System.MonitorEventsAsync(parameters, events);
        return [.. events.Messages.Where(m => m.Action == "kill").Select(m => m.Actor.Attributes.TryGetValue("signal", out var signal) ? signal : "?")];
    }

    /// <summary>Collects events as they arrive (Progress&lt;T&gt; would post them to the thread pool, possibly after the call returned).</summary>
    private sealed class EventList : IProgress<Message>
    {
        public List<Message> Messages { get; } = [];

        public void Report(Message value) => Messages.Add(value);
    }
}
