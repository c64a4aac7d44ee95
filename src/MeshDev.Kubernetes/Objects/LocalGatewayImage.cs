namespace MeshDev.Kubernetes.Objects;

/// <summary>
/// The gateway image this meshdev makes itself when <c>mesh.kubernetes.gatewayImage</c> is not set, made in the
/// background from the mesh's start so <c>up</c> does not wait for it.
/// </summary>
/// <param name="Reference">The image's reference (a content hash of the gateway, known once its files are read); faults with a <see cref="MeshDev.Runtime.LaunchException"/> saying what to publish when the gateway is missing.</param>
/// <param name="Built">Completes once the local engine has the image, with null, or with a sentence saying why it has not (no engine) and what to do instead; it does not fault.</param>
public sealed record LocalGatewayImage(Task<string> Reference, Task<string?> Built);
