using System.Collections.Immutable;

namespace MeshDev.Catalog;

/// <summary>A value read from the manifest together with where it was written.</summary>
internal readonly record struct Located<T>(T Value, SourceLocation Location);

/// <summary>
/// A service as read from its own section, before the checks that compare services with each other.
/// Keeps where its ports, hosts, paths and gRPC services were written so those checks can point at them.
/// </summary>
/// <param name="Spec">The service; <see cref="ServiceSpec.MeshPort"/> is 0 until one is assigned.</param>
/// <param name="MeshPort">The explicit <c>meshPort</c>, if any.</param>
/// <param name="Port">The fixed <c>port</c> the service listens on, if any.</param>
/// <param name="UrlPort">The port of a remote service's <c>url</c>, if any.</param>
/// <param name="GrpcServices">The <c>routes.grpc</c> service names.</param>
/// <param name="DependsOn">The <c>dependsOn</c> service names.</param>
/// <param name="Calls">The <c>calls</c> service names.</param>
internal sealed record ParsedService(
    ServiceSpec Spec,
    Located<int>? MeshPort,
    Located<int>? Port,
    Located<int>? UrlPort,
    ImmutableArray<Located<string>> Hosts,
    ImmutableArray<Located<string>> Paths,
    ImmutableArray<Located<string>> GrpcServices,
    ImmutableArray<Located<string>> DependsOn,
    ImmutableArray<Located<string>> Calls);
