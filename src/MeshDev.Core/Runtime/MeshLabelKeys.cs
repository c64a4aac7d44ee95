namespace MeshDev.Runtime;

/// <summary>
/// The label keys every runtime puts on what it creates outside this process (containers, Kubernetes objects), so
/// <c>docker ps</c> and <c>kubectl get</c> read the same way and one mesh's objects are found by the same selector.
/// </summary>
public static class MeshLabelKeys
{
    /// <summary>The mesh's id (<see cref="MeshIdentity"/>).</summary>
    public const string Mesh = "dev.meshdev.mesh";

    /// <summary>The service's name in the manifest.</summary>
    public const string Service = "dev.meshdev.service";

    /// <summary>The user who ran the mesh.</summary>
    public const string Owner = "dev.meshdev.owner";

    /// <summary>The manifest the object was created from.</summary>
    public const string Manifest = "dev.meshdev.manifest";

    /// <summary>A hash of the settings the object was created with; an object whose settings changed is replaced, not reused.</summary>
    public const string Config = "dev.meshdev.config";
}
