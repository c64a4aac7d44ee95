namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>What a container has printed: its current run, and its previous run once it has restarted.</summary>
internal sealed record ContainerLog(IReadOnlyList<string> Current, IReadOnlyList<string>? Previous);
