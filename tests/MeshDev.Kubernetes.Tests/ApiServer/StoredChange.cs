using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// One change to the store: what a watch reports. <paramref name="Previous"/> is the object before the change, so that a
/// watch with a selector can report an object leaving it as <c>DELETED</c> and one entering it as <c>ADDED</c>.
/// </summary>
internal sealed record StoredChange(
    WatchEventType Type,
    ApiResource Resource,
    IKubernetesObject<V1ObjectMeta> Object,
    IKubernetesObject<V1ObjectMeta>? Previous,
    long Version);
