namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// What a container has printed: its current run, and its previous run once it has restarted. A real process's
/// running output is <see cref="Live"/>, which then stands for <see cref="Current"/>.
/// </summary>
internal sealed record ContainerLog(IReadOnlyList<string> Current, IReadOnlyList<string>? Previous)
{
    public ContainerOutput? Live { get; init; }
}
