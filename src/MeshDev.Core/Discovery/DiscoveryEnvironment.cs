using System.Collections.Immutable;
using MeshDev.Catalog;

namespace MeshDev.Discovery;

/// <summary>
/// The environment every launched service gets so that its own calls go through the mesh:
/// the Aspire / Microsoft.Extensions.ServiceDiscovery form <c>services__{name}__http__0</c>, <c>{NAME}_HTTP</c> for
/// non-.NET code, and <c>MESHDEV_HTTP</c> (the shared port). Addresses are loopback IPs, never <c>*.localhost</c>
/// names, which glibc does not resolve on a stock Linux.
/// </summary>
public static class DiscoveryEnvironment
{
    /// <summary>The variable that names the service a process was launched as (by the mesh or its IDE launch profile).</summary>
    public const string ServiceVariable = "MESHDEV_SERVICE";

    /// <summary>The variables common to every service of the manifest.</summary>
    public static ImmutableDictionary<string, string> ForMesh(MeshManifest manifest)
    {
        var env = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        env["MESHDEV_HTTP"] = $"http://127.0.0.1:{manifest.Mesh.HttpPort}";
        foreach (var service in manifest.Services)
        {
            var url = $"http://127.0.0.1:{service.MeshPort}";
            env[$"services__{service.Name}__http__0"] = url;
            env[$"{EnvName(service.Name)}_HTTP"] = url;
        }

        return env.ToImmutable();
    }

    /// <summary>The variables for one launch: the mesh's, plus the service's own name and, where it opted in, HTTP_PROXY.</summary>
    public static IReadOnlyDictionary<string, string> ForLaunch(ImmutableDictionary<string, string> meshEnvironment, MeshManifest manifest, ServiceSpec service)
    {
        var env = meshEnvironment.SetItem(ServiceVariable, service.Name);
        if (service.HttpProxy)
        {
            var proxy = $"http://127.0.0.1:{manifest.Mesh.HttpPort}";
            env = env.SetItem("HTTP_PROXY", proxy).SetItem("http_proxy", proxy);
        }

        return env;
    }

    /// <summary><c>order-api</c> → <c>ORDER_API</c>.</summary>
    public static string EnvName(string service) => service.ToUpperInvariant().Replace('-', '_');
}
