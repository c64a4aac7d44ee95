using System.Globalization;
using System.Text;
using MeshDev.Catalog;

namespace MeshDev.XdsBench;

/// <summary>
/// A manifest of <c>count</c> services, validated by the real loader: every fifth a TCP service, every third a gRPC
/// service (routed by name, gRPC readiness), the others HTTP with an alias host and a path. Nothing is launched.
/// </summary>
internal static class GeneratedManifest
{
    public static MeshManifest Create(int count)
    {
        var yaml = new StringBuilder("mesh:\n  http: 19000\n  xds: 19010\n  portRange: 20000-29999\nservices:\n");
        for (var i = 1; i <= count; i++)
        {
            var name = Name(i);
            yaml.Append(CultureInfo.InvariantCulture, $"  {name}:\n    command: ./{name}\n    meshPort: {20000 + i}\n");
            if (i % 5 == 0)
            {
                yaml.Append("    protocol: tcp\n    ready: { tcp: true }\n");
            }
            else if (i % 3 == 0)
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    ready: {{ grpc: true }}\n    routes: {{ grpc: [bench.{name.Replace('-', '_')}.v1.Api] }}\n");
            }
            else
            {
                yaml.Append(CultureInfo.InvariantCulture, $"    ready: {{ http: /healthz }}\n    routes: {{ hosts: [{name}-api], paths: [/{name}] }}\n");
            }
        }

        return ManifestLoader.Parse(yaml.ToString(), Path.Combine(Path.GetTempPath(), "meshdev-xdsbench", "meshdev.yaml"));
    }

    public static string Name(int i) => $"svc-{i.ToString("000", CultureInfo.InvariantCulture)}";
}
