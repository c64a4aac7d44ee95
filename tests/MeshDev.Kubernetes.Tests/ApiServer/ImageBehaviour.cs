using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What the stand-in's simulated kubelet does with a container of a given image (see
/// <see cref="KubernetesApiStandIn.SetImageBehaviour"/>). An image with no behaviour is treated as one no registry has:
/// its pods fail with <c>ErrImagePull</c>, as on a real cluster.
/// </summary>
public abstract record ImageBehaviour
{
    private static readonly TimeSpan KubeletFirstBackOff = TimeSpan.FromSeconds(10);

    private protected ImageBehaviour()
    {
    }

    /// <summary>
    /// The image is pulled and runs: the container is running at once and ready after <paramref name="readyAfter"/>
    /// (default at once). A port-forward to the pod pipes to <paramref name="target"/>, a real server the test started;
    /// with <paramref name="port"/> only that container port does, the others refuse. <paramref name="logLines"/> is the
    /// container's log.
    /// </summary>
    public static ImageBehaviour Runs(ServiceEndpoint target, TimeSpan? readyAfter = null, IReadOnlyList<string>? logLines = null, int? port = null) =>
        new Running(target, readyAfter ?? TimeSpan.Zero, logLines ?? [], port);

    /// <summary>
    /// The image does not exist: the container waits in <c>ErrImagePull</c>, then <c>ImagePullBackOff</c>, with the
    /// Events <c>Failed</c> and <c>BackOff</c>; the kubelet tries again after 10 s, 20 s, … (at most 5 min).
    /// </summary>
    public static ImageBehaviour ImagePullFails { get; } = new PullFailing(KubeletFirstBackOff);

    /// <summary>
    /// The container starts and exits with <paramref name="exitCode"/> (printing <paramref name="logLines"/>) every
    /// time: <c>Error</c>, then <c>CrashLoopBackOff</c> with a growing <c>restartCount</c> and the Event <c>BackOff</c>,
    /// restarted after <paramref name="firstBackOff"/> (default 10 s, as the kubelet), doubling up to 5 min. It is
    /// never ready, as with a readiness probe that does not pass before it exits.
    /// </summary>
    public static ImageBehaviour CrashLoops(int exitCode, IReadOnlyList<string> logLines, TimeSpan? firstBackOff = null) =>
        new CrashLooping(exitCode, logLines, firstBackOff ?? KubeletFirstBackOff);

    /// <summary>
    /// The image is a local command, and the kubelet really runs it, each pod in a Linux network namespace of its own (see
    /// <see cref="PodNetwork"/>; needs root). As in an image, <paramref name="executable"/> and
    /// <paramref name="entrypointArgs"/> are the ENTRYPOINT, which a container's <c>command</c> replaces;
    /// <paramref name="defaultArgs"/> are the CMD, which its <c>args</c> replace (and which a <c>command</c> alone drops).
    /// The process gets PATH, HOME and the test process's <c>DOTNET_*</c> variables (so <c>dotnet app.dll</c> works),
    /// <c>HOSTNAME</c>, the image's <paramref name="environment"/>, then the container's <c>env</c>; nothing else of the
    /// test process's environment. It runs in the container's <c>workingDir</c> when that exists on this machine, else in
    /// <paramref name="workingDirectory"/> (default <c>/</c>). Exits are restarted after <paramref name="firstBackOff"/>
    /// (default 10 s, as the kubelet), doubling up to 5 min, with <c>CrashLoopBackOff</c> in between. Port-forwards to
    /// a pod with such a container go to 127.0.0.1 inside its namespace (so not to a <see cref="Runs"/> target).
    /// Exec probes and hooks run on this machine's files, except the image's own <paramref name="files"/>: a command whose
    /// first word is one of their paths in the image runs the local command given for it, followed by its other words.
    /// </summary>
    public static ImageBehaviour Executes(
        string executable,
        IReadOnlyList<string>? entrypointArgs = null,
        IReadOnlyList<string>? defaultArgs = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null,
        TimeSpan? firstBackOff = null,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? files = null) =>
        new Executing(
            [executable, .. entrypointArgs ?? []],
            defaultArgs ?? [],
            environment ?? new Dictionary<string, string>(),
            workingDirectory ?? "/",
            firstBackOff ?? KubeletFirstBackOff,
            files ?? new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>No node has room for the pod: <c>PodScheduled=False</c> (<c>Unschedulable</c>) and the Event <c>FailedScheduling</c>.</summary>
    public static ImageBehaviour Unschedulable { get; } = new NotSchedulable();

    internal sealed record Running(ServiceEndpoint Target, TimeSpan ReadyAfter, IReadOnlyList<string> LogLines, int? Port) : ImageBehaviour;

    internal sealed record PullFailing(TimeSpan FirstBackOff) : ImageBehaviour;

    internal sealed record CrashLooping(int ExitCode, IReadOnlyList<string> LogLines, TimeSpan FirstBackOff) : ImageBehaviour;

    internal sealed record NotSchedulable : ImageBehaviour;

    internal sealed record Executing(
        IReadOnlyList<string> Entrypoint,
        IReadOnlyList<string> DefaultArgs,
        IReadOnlyDictionary<string, string> Environment,
        string WorkingDirectory,
        TimeSpan FirstBackOff,
        IReadOnlyDictionary<string, IReadOnlyList<string>> Files) : ImageBehaviour;
}
