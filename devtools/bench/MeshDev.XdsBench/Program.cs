// MeshDev.XdsBench — the hand-run benchmark of the xDS control plane (src/MeshDev.Xds). Not part of CI.
//
//   dotnet run -c Release --project devtools/bench/MeshDev.XdsBench [-- --rounds N --services N --results PATH|-]
//
//   (a) push latency: "service ready" (the routing table gets the service's address) to "the ADS client decoded the
//       new ClusterLoadAssignment", over a real h2c connection, for 1 and 10 clients, with 3 and 600 services;
//   (b) snapshot cost for a generated 600-service manifest: full build, rebuild after one endpoint change,
//       consistency check, allocations, retained memory, bytes on the wire.
// Prints a Markdown report and writes it to devtools/bench/xds-results.md.

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MeshDev.XdsBench;

var rounds = 50;
var services = 600;
string? results = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out var r) && r >= 20:
            rounds = r;
            i++;
            break;
        case "--services" when i + 1 < args.Length && int.TryParse(args[i + 1], out var s) && s >= 3:
            services = s;
            i++;
            break;
        case "--results" when i + 1 < args.Length:
            results = args[++i];
            break;
        default:
            Console.Error.WriteLine("usage: MeshDev.XdsBench [--rounds N (>= 20, default 50)] [--services N (default 600)] [--results PATH|-]");
            return 2;
    }
}

#if DEBUG
Console.Error.WriteLine("warning: a Debug build; run with -c Release for figures worth keeping");
#endif

var pushes = new List<PushResults>();
foreach (var (serviceCount, clients) in new[] { (3, 1), (services, 1), (services, 10) })
{
    Console.Error.WriteLine($"push latency: {serviceCount} services, {clients} client(s), {rounds} rounds…");
    pushes.Add(await PushLatencyBench.RunAsync(serviceCount, clients, rounds, warmup: 5));
}

Console.Error.WriteLine($"snapshot cost: {services} services, {rounds} rounds…");
var snapshot = SnapshotBench.Run(services, rounds);

var report = new StringBuilder();
var invariant = CultureInfo.InvariantCulture;
report.AppendLine("# xDS control plane benchmark (MeshDev.XdsBench)");
report.AppendLine();
report.AppendLine(invariant, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC · {RuntimeInformation.OSDescription} · {RuntimeInformation.ProcessArchitecture} · {Environment.ProcessorCount} CPUs · .NET {Environment.Version}");
report.AppendLine(invariant, $"`dotnet run -c Release --project devtools/bench/MeshDev.XdsBench -- --rounds {rounds} --services {services}`");
report.AppendLine();
report.AppendLine("## Service ready → client has the new ClusterLoadAssignment");
report.AppendLine();
report.AppendLine("In-process ADS server wired as in the daemon (routing table → snapshot build, check, publish → ADS stream over");
report.AppendLine("h2c on loopback) and Grpc.Net.Client ADS clients subscribed to one service's endpoints, ACKing every response.");
report.AppendLine("Timed from `RoutingTable.SetEndpoints` (what the activator does once the service is ready) to the moment a client");
report.AppendLine("has decoded the pushed assignment; \"stopped\" is the way back to the activator's address.");
report.AppendLine();
report.AppendLine("| services | clients | measure | median | p90 | max | rounds |");
report.AppendLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: |");
foreach (var push in pushes)
{
    report.AppendLine(invariant, $"| {push.Services} | {push.Clients} | ready → first client | {push.ReadyFirstMs.Format("ms", "0.000")} |");
    if (push.Clients > 1)
    {
        report.AppendLine(invariant, $"| {push.Services} | {push.Clients} | ready → last client | {push.ReadyLastMs.Format("ms", "0.000")} |");
    }

    report.AppendLine(invariant, $"| {push.Services} | {push.Clients} | stopped → last client | {push.StoppedLastMs.Format("ms", "0.000")} |");
}

report.AppendLine();
report.AppendLine(invariant, $"## Snapshot of a generated {snapshot.Services}-service manifest");
report.AppendLine();
report.AppendLine(invariant, $"Every 5th service TCP, every 3rd gRPC, the rest HTTP with an alias and a path: {snapshot.Listeners} listeners, {snapshot.RouteConfigurations} route");
report.AppendLine(invariant, $"configurations (one per HTTP service + the shared port's), {snapshot.Clusters} clusters, {snapshot.LoadAssignments} ClusterLoadAssignments;");
report.AppendLine(invariant, $"{snapshot.WireBytes / 1024.0:0} KiB of packed resources. Allocation figures are per build, on the building thread.");
report.AppendLine();
report.AppendLine("| measure | median | p90 | max | rounds |");
report.AppendLine("| --- | ---: | ---: | ---: | ---: |");
report.AppendLine(invariant, $"| full build (startup) | {snapshot.FullBuildMs.Format("ms", "0.000")} |");
report.AppendLine(invariant, $"| full build, allocated | {snapshot.FullBuildAllocatedKiB.Format("KiB", "0")} |");
report.AppendLine(invariant, $"| rebuild after one endpoint change | {snapshot.IncrementalBuildMs.Format("ms", "0.000")} |");
report.AppendLine(invariant, $"| rebuild, allocated | {snapshot.IncrementalAllocatedKiB.Format("KiB", "0")} |");
report.AppendLine(invariant, $"| consistency check, whole snapshot (startup) | {snapshot.CheckMs.Format("ms", "0.000")} |");
report.AppendLine(invariant, $"| consistency check after one endpoint change (every publish) | {snapshot.IncrementalCheckMs.Format("ms", "0.000")} |");
report.AppendLine(invariant, $"| retained by one snapshot | {snapshot.RetainedKiB:0} KiB | | | 1 |");

var text = report.ToString();
Console.WriteLine(text);
if (results != "-")
{
    var path = results ?? Path.Combine(FindRepositoryRoot(), "devtools", "bench", "xds-results.md");
    await File.WriteAllTextAsync(path, text);
    Console.Error.WriteLine($"written to {path}");
}

return 0;

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
        {
            return directory.FullName;
        }
    }

    return Directory.GetCurrentDirectory();
}
