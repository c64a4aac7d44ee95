namespace MeshDev.Catalog;

/// <summary>Checks that compare services with each other: no host, path, gRPC service or port may belong to two of them.</summary>
internal static class ManifestCrossChecks
{
    public static void Check(IReadOnlyList<ParsedService> services, MeshSettings mesh, ManifestDiagnostics diagnostics)
    {
        CheckHosts(services, diagnostics);
        CheckPaths(services, diagnostics);
        CheckGrpcServices(services, diagnostics);
        var meshPortOwners = CheckMeshPorts(services, mesh, diagnostics);
        CheckUpstreamPorts(services, mesh, meshPortOwners, diagnostics);
        CheckDependencies(services, diagnostics);
        CheckCalls(services, diagnostics);
    }

    /// <summary>Every <c>calls</c> names another service of the manifest (a cycle is fine: services call each other).</summary>
    private static void CheckCalls(IReadOnlyList<ParsedService> services, ManifestDiagnostics diagnostics)
    {
        var names = services.Select(s => s.Spec.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var callee in service.Calls)
            {
                if (callee.Value == service.Spec.Name)
                {
                    diagnostics.Report(callee.Location, $"service '{service.Spec.Name}' lists itself in calls; list the services it calls");
                }
                else if (!names.Contains(callee.Value))
                {
                    var hint = NearestName.Find(callee.Value, names) is { } near ? $"did you mean '{near}'? " : "";
                    diagnostics.Report(callee.Location, $"service '{service.Spec.Name}' calls '{callee.Value}', which is not a service of this manifest ({hint}known: {string.Join(", ", names.Order(StringComparer.Ordinal))})");
                }
            }
        }
    }

    /// <summary>Every <c>dependsOn</c> names another service of the manifest, and no service depends on itself through others.</summary>
    private static void CheckDependencies(IReadOnlyList<ParsedService> services, ManifestDiagnostics diagnostics)
    {
        var byName = services.GroupBy(s => s.Spec.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var dependency in service.DependsOn)
            {
                if (dependency.Value == service.Spec.Name)
                {
                    diagnostics.Report(dependency.Location, $"service '{service.Spec.Name}' depends on itself");
                }
                else if (!byName.ContainsKey(dependency.Value))
                {
                    diagnostics.Report(dependency.Location, $"service '{service.Spec.Name}' depends on '{dependency.Value}', which is not a service of this manifest (known: {string.Join(", ", byName.Keys.Order(StringComparer.Ordinal))})");
                }
            }
        }

        // A cycle would make each launch wait for the other forever; report it once, at the edge that closes it.
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var service in services)
        {
            Visit(service);
        }

        void Visit(ParsedService service)
        {
            if (state.GetValueOrDefault(service.Spec.Name) != 0)
            {
                return;
            }

            state[service.Spec.Name] = 1;
            path.Add(service.Spec.Name);
            foreach (var dependency in service.DependsOn)
            {
                if (dependency.Value == service.Spec.Name || !byName.TryGetValue(dependency.Value, out var next))
                {
                    continue;
                }

                if (state.GetValueOrDefault(next.Spec.Name) == 1)
                {
                    var cycle = path.Skip(path.IndexOf(next.Spec.Name)).Append(next.Spec.Name);
                    diagnostics.Report(dependency.Location, $"dependsOn forms a cycle: {string.Join(" -> ", cycle)}");
                }
                else
                {
                    Visit(next);
                }
            }

            path.RemoveAt(path.Count - 1);
            state[service.Spec.Name] = 2;
        }
    }

    private static void CheckHosts(IReadOnlyList<ParsedService> services, ManifestDiagnostics diagnostics)
    {
        // Implicit hosts are claimed first so that an explicit host copying another service's name
        // is the one reported, wherever the two services appear in the file.
        // A tcp service has no Host routing at all (it is reached on its mesh port only), so it claims no host.
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services.Where(service => service.Spec.Protocol != ServiceProtocol.Tcp))
        {
            foreach (var host in service.Spec.NameHosts)
            {
                owners.TryAdd(host, service.Spec.Name);
            }
        }

        foreach (var service in services)
        {
            foreach (var host in service.Hosts)
            {
                // Listing its own name again is harmless (and reads well), so only other owners count.
                if (!owners.TryAdd(host.Value, service.Spec.Name) && owners[host.Value] is var owner && owner != service.Spec.Name)
                {
                    diagnostics.Report(host.Location, $"host '{host.Value}' of service '{service.Spec.Name}' is already routed to service '{owner}'");
                }
            }
        }
    }

    private static void CheckPaths(IReadOnlyList<ParsedService> services, ManifestDiagnostics diagnostics)
    {
        // The proxy matches prefixes case-insensitively and ignores a trailing slash, so '/Orders/' is '/orders'.
        var owners = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in services)
        {
            foreach (var path in service.Paths)
            {
                var key = path.Value.TrimEnd('/');
                if (!owners.TryAdd(key, service.Spec.Name) && owners[key] is var owner && owner != service.Spec.Name)
                {
                    diagnostics.Report(path.Location, $"path '{path.Value}' of service '{service.Spec.Name}' is already routed to service '{owner}'");
                }
            }
        }
    }

    private static void CheckGrpcServices(IReadOnlyList<ParsedService> services, ManifestDiagnostics diagnostics)
    {
        // gRPC routes by the exact :path, and protobuf names are case-sensitive, so 'shop.Orders' and 'shop.orders' differ.
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            foreach (var grpcService in service.GrpcServices)
            {
                if (!owners.TryAdd(grpcService.Value, service.Spec.Name) && owners[grpcService.Value] is var owner && owner != service.Spec.Name)
                {
                    diagnostics.Report(grpcService.Location, $"gRPC service '{grpcService.Value}' of service '{service.Spec.Name}' is already routed to service '{owner}'");
                }
            }
        }
    }

    /// <summary>Reports explicit mesh ports used twice or equal to the shared or xds port; returns which service owns each.</summary>
    private static Dictionary<int, string> CheckMeshPorts(IReadOnlyList<ParsedService> services, MeshSettings mesh, ManifestDiagnostics diagnostics)
    {
        var owners = new Dictionary<int, string>();
        foreach (var service in services)
        {
            if (service.MeshPort is not { } meshPort)
            {
                continue;
            }

            var what = $"meshPort {meshPort.Value} of service '{service.Spec.Name}'";
            if (meshPort.Value == mesh.HttpPort)
            {
                diagnostics.Report(meshPort.Location, $"{what} is the shared port (mesh.http)");
            }
            else if (meshPort.Value == mesh.XdsPort)
            {
                diagnostics.Report(meshPort.Location, $"{what} is the xds port (mesh.xds)");
            }
            else if (!owners.TryAdd(meshPort.Value, service.Spec.Name))
            {
                diagnostics.Report(meshPort.Location, $"{what} is already the meshPort of service '{owners[meshPort.Value]}'");
            }
        }

        return owners;
    }

    /// <summary>
    /// The mesh binds the shared port, the xds port and every mesh port; a service listening on one of them could not start,
    /// and a remote url pointing at one would make the mesh forward to itself.
    /// </summary>
    private static void CheckUpstreamPorts(
        IReadOnlyList<ParsedService> services, MeshSettings mesh, Dictionary<int, string> meshPortOwners, ManifestDiagnostics diagnostics)
    {
        var fixedPortOwners = new Dictionary<int, string>();
        foreach (var service in services)
        {
            if (service.Port is { } port)
            {
                var what = $"port {port.Value} of service '{service.Spec.Name}'";
                var clash = ClashWithMesh(port.Value, service, mesh, meshPortOwners);
                if (clash is null && !fixedPortOwners.TryAdd(port.Value, service.Spec.Name))
                {
                    clash = $"is already the port of service '{fixedPortOwners[port.Value]}'";
                }

                if (clash is not null)
                {
                    diagnostics.Report(port.Location, $"{what} {clash}");
                }
            }

            if (service.UrlPort is { } urlPort && ClashWithMesh(urlPort.Value, service, mesh, meshPortOwners) is { } urlClash)
            {
                diagnostics.Report(urlPort.Location, $"url port {urlPort.Value} of service '{service.Spec.Name}' {urlClash}");
            }
        }
    }

    /// <summary>Why the mesh itself listens on <paramref name="port"/>, or null when it does not.</summary>
    private static string? ClashWithMesh(int port, ParsedService service, MeshSettings mesh, Dictionary<int, string> meshPortOwners)
    {
        if (service.MeshPort?.Value == port)
        {
            return "is also its meshPort";
        }

        if (port == mesh.HttpPort)
        {
            return "is the shared port (mesh.http)";
        }

        if (port == mesh.XdsPort)
        {
            return "is the xds port (mesh.xds)";
        }

        return meshPortOwners.TryGetValue(port, out var owner) ? $"is the meshPort of service '{owner}'" : null;
    }
}
