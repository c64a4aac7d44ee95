using MeshDev.Runtime;

namespace MeshDev.Proxy.Routing;

/// <summary>What the mesh decided for a request: which service, and where its ready instance listens.</summary>
public sealed record MeshRequestFeature(string Service, ServiceEndpoint Endpoint);
