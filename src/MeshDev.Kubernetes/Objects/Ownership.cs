namespace MeshDev.Kubernetes.Objects;

/// <summary>Whose an object in the cluster is, judged by its labels alone.</summary>
internal enum OwnershipKind
{
    /// <summary>This developer's, of this mesh: MeshDev may change, scale and delete it.</summary>
    Ours,

    /// <summary>This developer's, but created by another mesh (another manifest): left alone.</summary>
    OtherMesh,

    /// <summary>Another developer's MeshDev object: left alone.</summary>
    OtherOwner,

    /// <summary>Not MeshDev's at all (no owner label): left alone.</summary>
    NotMeshDev,
}

/// <summary>The multi-tenant rule in one place: only objects carrying this developer's owner label and this mesh's label are ours.</summary>
internal sealed record Ownership(string Owner, string MeshId)
{
    public OwnershipKind Of(IDictionary<string, string>? labels)
    {
        if (labels is null || !labels.TryGetValue(MeshLabels.Owner, out var owner))
        {
            return OwnershipKind.NotMeshDev;
        }

        if (owner != Owner)
        {
            return OwnershipKind.OtherOwner;
        }

        return labels.TryGetValue(MeshLabels.Mesh, out var mesh) && mesh == MeshId ? OwnershipKind.Ours : OwnershipKind.OtherMesh;
    }

    /// <summary>
    /// Why MeshDev will not touch an existing object, with what to do about it; null when it is ours.
    /// <paramref name="what"/> names it, e.g. <c>Deployment 'orders' in namespace meshdev-alice</c>.
    /// </summary>
    public string? Refusal(string what, IDictionary<string, string>? labels, IDictionary<string, string>? annotations)
    {
        switch (Of(labels))
        {
            case OwnershipKind.Ours:
                return null;
            case OwnershipKind.OtherMesh:
                var manifest = annotations is not null && annotations.TryGetValue(MeshLabels.ManifestAnnotation, out var path) ? $" ({path})" : "";
                return $"{what} belongs to another of your meshes{manifest}; stop it with 'meshdev down --purge' there, or give this service another 'namespace'";
            case OwnershipKind.OtherOwner:
                return $"{what} belongs to another developer ({MeshLabels.Owner}={labels![MeshLabels.Owner]}); MeshDev never changes it: use your own 'namespace'";
            default:
                return $"{what} exists and was not created by MeshDev (it has no {MeshLabels.Owner}={Owner} label); MeshDev never changes it: rename or delete it yourself, or use another 'namespace'";
        }
    }
}
