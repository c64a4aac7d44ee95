using System.CommandLine;
using System.Globalization;
using System.Text;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;
using MeshDev.Xds.Bootstrap;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev routes [--json]</c>: the routing table as the mesh serves it (listeners, hosts, paths, gRPC services,
/// cluster endpoints, xDS clients); <c>meshdev routes --envoy</c>: an Envoy bootstrap that joins the mesh over xDS.
/// </summary>
public static class RoutesCommand
{
    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var envoy = new Option<bool>("--envoy") { Description = "Print an Envoy bootstrap (YAML) that takes its routes, clusters and endpoints from this mesh over xDS" };
        var port = new Option<int>("--port")
        {
            Description = $"With --envoy: the port of Envoy's HTTP listener on 127.0.0.1 (default {EnvoyBootstrap.DefaultListenPort})",
            DefaultValueFactory = _ => EnvoyBootstrap.DefaultListenPort,
        };
        var nodeId = new Option<string>("--node-id")
        {
            Description = $"With --envoy: the node id Envoy reports (default {EnvoyBootstrap.DefaultNodeId})",
            DefaultValueFactory = _ => EnvoyBootstrap.DefaultNodeId,
        };
        var command = new Command("routes", "Show the routing table (listeners, hosts, paths, gRPC services, endpoints, xDS clients), or an Envoy bootstrap for it")
        {
            file, json, envoy, port, nodeId,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(envoy))
            {
                // Needs only the manifest (mesh.xds), so the bootstrap can be written before the mesh runs.
                if (CommonOptions.LoadManifest(parse.GetValue(file)!) is not { } manifest)
                {
                    return ExitCodes.InvalidManifest;
                }

                if (parse.GetValue(port) is < 1 or > 65535)
                {
                    return CommonOptions.Fail($"--port must be between 1 and 65535 (got {parse.GetValue(port)})");
                }

                Console.Write(EnvoyBootstrap.Render(manifest.Mesh.XdsPort, parse.GetValue(port), parse.GetValue(nodeId)!));
                return ExitCodes.Ok;
            }

            return await ControlClient.RunAsync(parse.GetValue(file)!, async client =>
            {
                var routes = await client.GetRoutesAsync(ct);
                if (parse.GetValue(json))
                {
                    JsonOutput.Print(routes);
                }
                else
                {
                    Console.WriteLine(Render(routes));
                }

                return ExitCodes.Ok;
            });
        });
        return command;
    }

    /// <summary>The routing table for people: four tables (listeners, shared-port routes, clusters, xDS clients).</summary>
    public static string Render(RoutesView routes)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"mesh {routes.Manifest} (shared port 127.0.0.1:{routes.HttpPort}, xDS 127.0.0.1:{routes.XdsPort}, routing version {routes.RoutingVersion})");
        text.AppendLine();
        text.AppendLine(Table(
            ["LISTENER", "PORT", "SERVICE", "PROTOCOL"],
            routes.Listeners.Select(l => new[] { l.Name, Number(l.Port), l.Service ?? "- (routes below)", l.Protocol })));
        text.AppendLine();
        text.AppendLine(Table(
            ["HOST (shared port)", "PATH", "CLUSTER"],
            routes.VirtualHosts.SelectMany(h => h.Routes.Select(r => new[]
            {
                string.Join(", ", h.Domains), r.Grpc ? $"{r.Prefix}* (gRPC)" : r.Prefix, r.Cluster,
            }))));
        text.AppendLine();
        text.AppendLine(Table(
            ["CLUSTER", "STATE", "ENDPOINT", "GRPC SERVICES"],
            routes.Clusters.Select(c => new[]
            {
                c.Name, c.State,
                string.Join(", ", c.Endpoints.Select(e => e.Kind == EndpointView.Activator ? $"activator {e.Address}" : e.Address)),
                c.GrpcServices.Count == 0 ? "-" : string.Join(", ", c.GrpcServices),
            })));
        text.AppendLine();
        var versions = string.Join("  ", routes.Xds.Versions.Select(v => $"{v.Key} {v.Value}"));
        if (routes.Xds.Clients.Count == 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"xDS: no client connected (versions {versions})");
        }
        else
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"xDS versions: {versions}");
            text.AppendLine(Table(
                ["XDS CLIENT (node)", "AGENT", "SUBSCRIBED", "ACCEPTED"],
                routes.Xds.Clients.Select(c => new[]
                {
                    c.NodeId.Length == 0 ? "?" : c.NodeId, c.UserAgent.Length == 0 ? "-" : c.UserAgent,
                    string.Join("; ", c.Subscriptions.Select(s => $"{s.Type} {(s.Wildcard ? "*" : string.Join(",", s.Names))}")),
                    string.Join(" ", c.Subscriptions.Select(s => $"{s.Type} {s.AcceptedVersion ?? "-"}")),
                })));
        }

        foreach (var nack in routes.Xds.Nacks)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"NACK from '{nack.NodeId}' of {nack.Type} version {nack.Version} at {nack.At.ToLocalTime():HH:mm:ss}: {nack.Message}");
        }

        return text.ToString().TrimEnd();
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Table(string[] header, IEnumerable<string[]> body)
    {
        var rows = body.Prepend(header).ToArray();
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Max(r => r[i].Length)).ToArray();
        return string.Join(Environment.NewLine, rows.Select(r => string.Join("  ", r.Select((cell, i) => i == r.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd()));
    }
}
