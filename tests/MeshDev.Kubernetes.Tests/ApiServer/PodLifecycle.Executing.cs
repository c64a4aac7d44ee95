using k8s.Models;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The kubelet's part for containers of <see cref="ImageBehaviour.Executes"/> images: a real process in the pod's
/// network namespace, whose start, readiness probe and exit drive the container's status, and which is restarted with
/// the kubelet's back-off when it exits.
/// </summary>
internal sealed partial class PodLifecycle
{
    /// <summary>A container that ran this long before it exited is restarted after the first back-off again, as the kubelet does.</summary>
    private static readonly TimeSpan BackOffReset = TimeSpan.FromMinutes(10);

    /// <summary>The pod's network namespace and process table; null, with the kubelet's Event, when it cannot be made.</summary>
    private async Task<PodSandbox?> CreateSandboxAsync(V1Pod pod)
    {
        PodNetwork network;
        try
        {
            network = await createNetwork();
        }
        catch (InvalidOperationException e)
        {
            events.Record(pod, EventRecorder.Warning, "FailedCreatePodSandBox", $"Failed to create pod sandbox: {e.Message}", "kubelet", NodeName);
            return null;
        }

        var sandbox = new PodSandbox(network, time);
        if (!run.Attach(sandbox))
        {
            await network.DeleteAsync();
            run.Stopping.ThrowIfCancellationRequested();
        }

        return sandbox;
    }

    private async Task ExecuteAsync(V1Pod pod, V1Container spec, ImageBehaviour.Executing image, PodSandbox sandbox)
    {
        var (container, imageName) = (spec.Name, spec.Image ?? "");
        ContainerCommand command;
        try
        {
            command = ContainerCommand.For(spec, pod, image);
        }
        catch (ContainerConfigException e)
        {
            Pulled(pod, container, imageName, firstTime: true);
            events.Record(pod, EventRecorder.Warning, "Failed", $"Error: {e.Message}", "kubelet", NodeName, FieldPath(container));
            SetContainer(container, c => c.State = Waiting("CreateContainerConfigError", e.Message));
            // Nothing the kubelet could retry would change it; the pod waits to be deleted.
            await Task.Delay(Timeout.InfiniteTimeSpan, time, run.Stopping);
            return;
        }

        var backOff = image.FirstBackOff;
        IReadOnlyList<string>? previous = null;
        for (var attempt = 0; ; attempt++)
        {
            Pulled(pod, container, imageName, firstTime: attempt == 0);
            var output = new ContainerOutput();
            run.Logs[container] = new ContainerLog([], previous) { Live = output };
            var (terminated, ranFor) = await RunOnceAsync(pod, spec, command, sandbox, output);
            previous = output.Lines();
            run.Logs[container] = new ContainerLog(previous, previous);
            backOff = ranFor >= BackOffReset ? image.FirstBackOff : backOff;
            await BackOffAsync(pod, container, terminated, backOff);
            backOff = Min(backOff * 2, MaxBackOff);
        }
    }

    /// <summary>One run of the container: started, probed until it exits; how it ended and how long it ran.</summary>
    private async Task<(V1ContainerStateTerminated Terminated, TimeSpan RanFor)> RunOnceAsync(
        V1Pod pod, V1Container spec, ContainerCommand command, PodSandbox sandbox, ContainerOutput output)
    {
        var container = spec.Name;
        var executable = command.Executable(out var startError);
        ContainerProcess? process = null;
        try
        {
            process = executable is null ? null : sandbox.Start(container, command, executable, output);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            startError = $"the stand-in could not start {executable}: {e.Message}";
        }

        if (process is null && startError is null)
        {
            // The pod is being stopped.
            output.End();
            run.Stop();
            run.Stopping.ThrowIfCancellationRequested();
        }

        // A command that cannot start never runs: Created, then Failed, no Started.
        var waitsToStart = spec.Lifecycle?.PostStart is not null || spec.StartupProbe is not null;
        var (startedAt, containerId) = process is null ? (store.Now, "") : Start(pod, container, spec.Image ?? "", started: !waitsToStart);
        V1ContainerStateTerminated terminated;
        if (process is null)
        {
            output.End();
            events.Record(pod, EventRecorder.Normal, "Created", $"Created container: {container}", "kubelet", NodeName, FieldPath(container));
            events.Record(pod, EventRecorder.Warning, "Failed", $"Error: {startError}", "kubelet", NodeName, FieldPath(container));
            terminated = new V1ContainerStateTerminated { ExitCode = 128, Reason = "StartError", Message = startError };
        }
        else
        {
            using var probing = CancellationTokenSource.CreateLinkedTokenSource(run.Stopping);
            var readiness = StartThenProbeAsync(pod, spec, command, sandbox.Network, process, probing.Token);
            var exitCode = await process.Exited.WaitAsync(run.Stopping);
            await probing.CancelAsync();
            try
            {
                await readiness;
            }
            catch (OperationCanceledException) when (probing.IsCancellationRequested)
            {
            }

            terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Reason = exitCode == 0 ? "Completed" : "Error" };
        }

        terminated.StartedAt = startedAt;
        terminated.FinishedAt = store.Now;
        terminated.ContainerID = containerId;
        SetContainer(container, c =>
        {
            c.State = new V1ContainerState { Terminated = terminated };
            c.Started = false;
            c.Ready = false;
        });
        return (terminated, terminated.FinishedAt.Value - startedAt);
    }

    /// <summary>
    /// The kubelet's steps after the process starts: the postStart hook (the container is killed if it fails), the
    /// startupProbe until it passes (killed after <c>failureThreshold</c> failures), then the readinessProbe. The
    /// container counts as started once the first two have passed.
    /// </summary>
    private async Task StartThenProbeAsync(
        V1Pod pod, V1Container spec, ContainerCommand command, PodNetwork network, ContainerProcess process, CancellationToken cancellationToken)
    {
        var container = spec.Name;
        if (spec.Lifecycle?.PostStart is { } hook)
        {
            var failure = await PostStartAsync(hook, command, network, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            if (failure is not null)
            {
                var words = string.Join(' ', hook.Exec?.Command ?? []);
                events.Record(pod, EventRecorder.Warning, "FailedPostStartHook",
                    $"Exec lifecycle hook ([{words}]) for Container \"{container}\" in Pod \"{run.Name}_{run.Namespace}({run.Uid})\" failed - error: {failure}",
                    "kubelet", NodeName, FieldPath(container));
                events.Record(pod, EventRecorder.Normal, "Killing", $"FailedPostStartHook", "kubelet", NodeName, FieldPath(container));
                process.Signal(UnixProcess.SigKill);
                return;
            }
        }

        if (spec.StartupProbe is { } startup && !await StartupAsync(pod, spec, startup, command, network, cancellationToken))
        {
            process.Signal(UnixProcess.SigKill);
            return;
        }

        if (spec.Lifecycle?.PostStart is not null || spec.StartupProbe is not null)
        {
            MarkStarted(container);
        }

        await ProbeReadinessAsync(pod, spec, command, network, cancellationToken);
    }

    /// <summary>Runs an exec postStart hook in the container; null when it exits 0, else the kubelet's kind of words for why not.</summary>
    private static async Task<string?> PostStartAsync(V1LifecycleHandler hook, ContainerCommand command, PodNetwork network, CancellationToken cancellationToken)
    {
        if (hook.Exec?.Command is not { Count: > 0 } words)
        {
            return "the stand-in runs exec postStart hooks only";
        }

        var result = await network.RunAsync(command.Exec([.. words]), command.Environment, cancellationToken);
        return result.ExitCode == 0 ? null : $"command '{string.Join(' ', words)}' exited with {result.ExitCode}: {result.Output}{result.Error}".TrimEnd();
    }

    /// <summary>The startupProbe until it passes (true), or until <c>failureThreshold</c> failures in a row (false: the kubelet kills the container).</summary>
    private async Task<bool> StartupAsync(V1Pod pod, V1Container spec, V1Probe probe, ContainerCommand command, PodNetwork network, CancellationToken cancellationToken)
    {
        var container = spec.Name;
        var check = new ProbeCheck(probe, spec, network, command, time);
        if (check.Unsupported is { } unsupported)
        {
            events.Record(pod, EventRecorder.Warning, "Unhealthy", $"Startup probe errored: {unsupported}", "kubelet", NodeName, FieldPath(container));
            await Task.Delay(Timeout.InfiniteTimeSpan, time, cancellationToken);
        }

        await Task.Delay(check.InitialDelay, time, cancellationToken);
        for (var failures = 0; ;)
        {
            var failure = await check.RunAsync(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            if (failure is null)
            {
                return true;
            }

            events.Record(pod, EventRecorder.Warning, "Unhealthy", $"Startup probe failed: {failure}", "kubelet", NodeName, FieldPath(container));
            if (++failures >= check.FailureThreshold)
            {
                events.Record(pod, EventRecorder.Normal, "Killing", $"Container {container} failed startup probe, will be restarted", "kubelet", NodeName, FieldPath(container));
                return false;
            }

            await Task.Delay(check.Period, time, cancellationToken);
        }
    }

    /// <summary>
    /// Ready at once without a readinessProbe; else ready after <c>successThreshold</c> passes in a row, and unready
    /// again after <c>failureThreshold</c> failures, each failure an <c>Unhealthy</c> Event, until cancelled.
    /// </summary>
    private async Task ProbeReadinessAsync(V1Pod pod, V1Container spec, ContainerCommand command, PodNetwork network, CancellationToken cancellationToken)
    {
        var container = spec.Name;
        if (spec.ReadinessProbe is not { } probe)
        {
            SetContainer(container, c => c.Ready = true);
            return;
        }

        var check = new ProbeCheck(probe, spec, network, command, time);
        if (check.Unsupported is { } unsupported)
        {
            events.Record(pod, EventRecorder.Warning, "Unhealthy", $"Readiness probe errored: {unsupported}", "kubelet", NodeName, FieldPath(container));
            return;
        }

        await Task.Delay(check.InitialDelay, time, cancellationToken);
        var (ready, passes, failures) = (false, 0, 0);
        while (true)
        {
            var failure = await check.RunAsync(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            if (failure is null)
            {
                failures = 0;
                if (++passes >= check.SuccessThreshold && !ready)
                {
                    ready = true;
                    SetContainer(container, c => c.Ready = true);
                }
            }
            else
            {
                passes = 0;
                events.Record(pod, EventRecorder.Warning, "Unhealthy", $"Readiness probe failed: {failure}", "kubelet", NodeName, FieldPath(container));
                if (++failures >= check.FailureThreshold && ready)
                {
                    ready = false;
                    SetContainer(container, c => c.Ready = false);
                }
            }

            await Task.Delay(check.Period, time, cancellationToken);
        }
    }
}
