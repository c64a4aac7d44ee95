using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Docker;
using MeshDev.Runtime;

namespace MeshDev.DockerBench;

/// <summary>One replay round: how long each engine call took (ms), and start returned → port accepts.</summary>
internal sealed record ReplayRound(double InspectMs, double ListMs, double CreateMs, double AttachMs, double StartMs, double ListeningMs);

/// <summary>
/// The engine calls the mesh makes for one launch of a <c>pull: never</c> container, made one after another with the same
/// Docker.DotNet client settings and each timed on its own (the mesh's own milestones only bracket groups of them):
/// <c>ImageStore</c>'s inspect, <c>DockerRuntime</c>'s list of the service's containers and create, <c>ContainerInstance</c>'s
/// attach, start and wait. Not counted in the comparison; run after it, on the same engine and image.
/// </summary>
internal sealed class EngineCallReplay(DockerClient client, Func<int, CreateContainerParameters> parameters, string image, string runId)
{
    private static readonly TimeSpan ListenTimeout = TimeSpan.FromSeconds(60);

    public async Task<ReplayRound> RunAsync(CancellationToken cancellationToken)
    {
        var port = Ports.GetFreePort();
        var create = parameters(port);
        create.Name = $"meshdev-bench-{runId}-replay";

        var t0 = Stopwatch.GetTimestamp();
        await client.Images.InspectImageAsync(image, cancellationToken).ConfigureAwait(false);
        var t1 = Stopwatch.GetTimestamp();
        await client.Containers.ListContainersAsync(
            new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["label"] = new Dictionary<string, bool> { [$"{BenchLabels.Run}={runId}"] = true, [$"{ContainerLabels.Service}={DockerBenchMesh.ServiceName}"] = true },
                },
            },
            cancellationToken).ConfigureAwait(false);
        var t2 = Stopwatch.GetTimestamp();
        var id = (await client.Containers.CreateContainerAsync(create, cancellationToken).ConfigureAwait(false)).ID;
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        MultiplexedStream? output = null;
        Task? wait = null;
        try
        {
            var t3 = Stopwatch.GetTimestamp();
            output = await client.Containers.AttachContainerAsync(
                id, tty: false, new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken).ConfigureAwait(false);
            var t4 = Stopwatch.GetTimestamp();
            await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            var t5 = Stopwatch.GetTimestamp();
            // The instance watches the container's exit from here on, as the mesh's does.
            wait = client.Containers.WaitContainerAsync(id, watching.Token);
            var listening = await WaitUntilAcceptingAsync(port, cancellationToken).ConfigureAwait(false);
            return new ReplayRound(Ms(t0, t1), Ms(t1, t2), Ms(t2, t3), Ms(t3, t4), Ms(t4, t5), Ms(t5, listening));
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            output?.Dispose();
            await DirectBench.RemoveAsync(client, id).ConfigureAwait(false);
            if (wait is not null)
            {
                try
                {
                    await wait.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or DockerApiException or HttpRequestException or IOException)
                {
                }
            }
        }
    }

    /// <summary>Connects about every millisecond until the port accepts; when (Stopwatch ticks).</summary>
    private static async Task<long> WaitUntilAcceptingAsync(int port, CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < ListenTimeout)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return Stopwatch.GetTimestamp();
            }
            catch (SocketException)
            {
            }

            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }

        throw new BenchException($"replay: nothing accepted on 127.0.0.1:{port} within {ListenTimeout.TotalSeconds:0} s");
    }

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
