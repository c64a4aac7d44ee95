using Docker.DotNet;
using Docker.DotNet.Models;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// Readiness by a command run inside the container (<c>ready: { exec: [...] }</c>, or the image's own HEALTHCHECK):
/// ready when it exits with 0. The mesh runs it at its own fast cadence while the container starts, instead of
/// waiting for the engine's health timer (30 s by default), and not at all once the container is ready.
/// </summary>
internal sealed class ExecProbe(DockerClient client, string containerId, IReadOnlyList<string> command) : IReadinessProbe
{
    /// <summary>A command run costs a process start inside the container; more often than this would slow the start it waits for.</summary>
    public TimeSpan MinimumInterval => TimeSpan.FromMilliseconds(100);

    /// <summary>A check that takes longer than this counts as "not ready yet".</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    public IReadOnlyList<string> Command => command;

    public async ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttemptTimeout);
        try
        {
            var exec = await client.Exec.ExecCreateContainerAsync(
                containerId,
                new ContainerExecCreateParameters { Cmd = [.. command], AttachStdout = true, AttachStderr = true },
                timeout.Token).ConfigureAwait(false);
            using (var output = await client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, timeout.Token).ConfigureAwait(false))
            {
                // The stream ends when the command does; its output is not needed, only its exit code.
                await output.ReadOutputToEndAsync(timeout.Token).ConfigureAwait(false);
            }

            var result = await client.Exec.InspectContainerExecAsync(exec.ID, timeout.Token).ConfigureAwait(false);
            return !result.Running && result.ExitCode == 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is DockerApiException or HttpRequestException or IOException)
        {
            // Not running yet (409), gone, or the engine hiccupped: not ready; a dead container is noticed by the activator.
            return false;
        }
    }

    /// <summary>The command an image's HEALTHCHECK runs, as an exec; null when the image has none.</summary>
    public static IReadOnlyList<string>? FromHealthcheck(HealthConfig? healthcheck)
    {
        var test = healthcheck?.Test;
        return test switch
        {
            { Count: > 1 } when test[0] == "CMD" => test.Skip(1).ToArray(),
            { Count: 2 } when test[0] == "CMD-SHELL" => ["/bin/sh", "-c", test[1]],
            _ => null,
        };
    }
}
