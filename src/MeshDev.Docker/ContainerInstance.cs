using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// One running container of a service: its output flows into the service's log, its exit is watched through the
/// engine's wait API, and stopping it is the engine's stop (SIGTERM, grace, SIGKILL), then remove when asked.
/// </summary>
internal sealed class ContainerInstance : IServiceInstance
{
    private readonly DockerClient _client;
    private readonly bool _removeOnStop;
    private readonly CancellationTokenSource _watching = new();
    private static readonly TimeSpan OutputDrainTimeout = TimeSpan.FromSeconds(2);

    private readonly MultiplexedStream _outputStream;
    private readonly Task _output;
    private int _processId; // 0 until the engine said

    private ContainerInstance(DockerClient client, string id, ServiceEndpoint endpoint, string description, IReadinessProbe? readiness, bool removeOnStop, MultiplexedStream output, ServiceLog log)
    {
        _client = client;
        Id = id;
        Endpoint = endpoint;
        Description = description;
        Readiness = readiness;
        _removeOnStop = removeOnStop;
        _outputStream = output;
        _output = ContainerOutput.PumpAsync(output, log.Write, _watching.Token);
        Exited = WaitAsync();
        _ = LearnProcessIdAsync();
    }

    public string Id { get; }

    public ServiceEndpoint Endpoint { get; }

    public string Description { get; }

    public IReadinessProbe? Readiness { get; }

    public Task<int?> Exited { get; }

    /// <summary>The container's first process, as this machine sees it (the engine's State.Pid): the call graph's root for the container.</summary>
    public int? ProcessId => Volatile.Read(ref _processId) is > 0 and var pid ? pid : null;

    /// <summary>Attaches to the container's output (before it starts, so no line is lost), starts it unless it runs, and watches it.</summary>
    public static async Task<ContainerInstance> RunAsync(
        DockerClient client, string id, ServiceEndpoint endpoint, string description, IReadOnlyList<string>? execProbe, bool removeOnStop, bool alreadyRunning, ServiceLog log, CancellationToken cancellationToken)
    {
        var output = await client.Containers.AttachContainerAsync(
            id, tty: false, new ContainerAttachParameters { Stream = true, Stdout = true, Stderr = true }, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!alreadyRunning)
            {
                await client.Containers.StartContainerAsync(id, new ContainerStartParameters(), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            output.Dispose();
            throw;
        }

        var probe = execProbe is null ? null : new ExecProbe(client, id, execProbe);
        return new ContainerInstance(client, id, endpoint, description, probe, removeOnStop, output, log);
    }

    /// <summary>Asks the engine in the background: the call graph can wait a moment, the launch should not.</summary>
    private async Task LearnProcessIdAsync()
    {
        try
        {
            var inspect = await _client.Containers.InspectContainerAsync(Id, _watching.Token).ConfigureAwait(false);
            Volatile.Write(ref _processId, (int)inspect.State.Pid);
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException or OperationCanceledException)
        {
            // Its calls count as external.
        }
    }

    private async Task<int?> WaitAsync()
    {
        try
        {
            var result = await _client.Containers.WaitContainerAsync(Id, _watching.Token).ConfigureAwait(false);

            // The last lines (often the reason it exited) come through the attach stream, which may lag the exit:
            // let them reach the log before anyone reads its tail for an error message.
            await Task.WhenAny(_output, Task.Delay(OutputDrainTimeout, _watching.Token)).ConfigureAwait(false);
            return (int)result.StatusCode;
        }
        catch (DockerContainerNotFoundException)
        {
            // Removed from outside (docker rm -f): gone all the same.
            return null;
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            // The engine went away; the container cannot be reached any more, so treat it as ended.
            return null;
        }
        catch (OperationCanceledException)
        {
            // Released without stopping (mesh handed it over); it may well still run.
            return null;
        }
    }

    public async Task StopAsync(TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        try
        {
            if (!Exited.IsCompleted)
            {
                // The engine sends the image's stop signal (SIGTERM), waits, then kills; our wait ends when it has.
                var seconds = (uint)Math.Ceiling(gracePeriod.TotalSeconds);
                if (seconds == 0)
                {
                    await KillAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _client.Containers.StopContainerAsync(Id, new ContainerStopParameters { WaitBeforeKillSeconds = seconds }, cancellationToken).ConfigureAwait(false);
                }

                await Exited.WaitAsync(TimeSpan.FromSeconds(seconds + 10), cancellationToken).ConfigureAwait(false);
            }

            if (_removeOnStop)
            {
                await MeshContainers.RemoveAsync(_client, Id, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (DockerContainerNotFoundException)
        {
            // Already gone.
        }
        catch (TimeoutException)
        {
            await MeshContainers.RemoveAsync(_client, Id, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Kills the container at once (a failed launch: its callers wait for this). Not a stop with no grace: Docker.DotNet
    /// leaves a zero out of the query, so the engine would wait the container's own stop timeout (its stopGracePeriod).
    /// </summary>
    private async Task KillAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _client.Containers.KillContainerAsync(Id, new ContainerKillParameters { Signal = "KILL" }, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException e) when (e.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
            // It exited meanwhile ("is not running"): the wait below returns at once.
        }
    }

    /// <summary>Stops following the container without stopping it.</summary>
    public ValueTask DisposeAsync() => new(ReleaseAsync());

    private async Task ReleaseAsync()
    {
        if (!_watching.IsCancellationRequested)
        {
            await _watching.CancelAsync().ConfigureAwait(false);
        }

        // A read on the engine's hijacked connection may not heed cancellation; closing the connection ends it.
        if (!_output.IsCompleted)
        {
            await Task.WhenAny(_output, Task.Delay(TimeSpan.FromMilliseconds(200))).ConfigureAwait(false);
            _outputStream.Dispose();
        }

        await _output.ConfigureAwait(false);
        await Exited.ConfigureAwait(false);
    }
}
