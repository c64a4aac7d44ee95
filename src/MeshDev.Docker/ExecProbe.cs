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

    // The exit codes of a command that could not be started (the engine's, and a shell's): not found, not executable.
    // Such a command will not appear while the container starts, so waiting the whole start timeout would only hide why.
    private const long CannotExecute = 126;
    private const long NotFound = 127;

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
            string stdout, stderr;
            using (var output = await client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, timeout.Token).ConfigureAwait(false))
            {
                // The stream ends when the command does; its output only matters when the command cannot run.
                (stdout, stderr) = await output.ReadOutputToEndAsync(timeout.Token).ConfigureAwait(false);
            }

            var result = await client.Exec.InspectContainerExecAsync(exec.ID, timeout.Token).ConfigureAwait(false);
            if (!result.Running && result.ExitCode is CannotExecute or NotFound)
            {
                throw new LaunchException(CannotRun(command, result.ExitCode, stderr + stdout));
            }

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

    /// <summary>Why the launch fails at once: the command, the exit code and the last line it (or the engine) wrote.</summary>
    internal static string CannotRun(IReadOnlyList<string> command, long exitCode, string output)
    {
        var said = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        var why = said is null ? "" : $": {said}";
        return $"the readiness command '{string.Join(' ', command)}' cannot run in the container (exit code {exitCode}{why}); " +
            "name a command the image has in 'ready: { exec: [...] }', or another probe such as 'ready: { tcp: true }'";
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
