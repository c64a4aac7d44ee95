namespace MeshDev.Kubernetes.Tests.Mesh;

/// <summary>
/// Tests that start a whole mesh with real pods (a dozen processes each) run on their own, not beside the other test
/// classes: on a 2-core machine their start-up would starve the others of the CPU their own waits assume.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WholeMeshCollection
{
    public const string Name = "whole mesh with pods";
}
