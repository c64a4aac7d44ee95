namespace MeshDev.ClusterBench;

/// <summary>
/// Measure 2: warm calls from a pod to a laptop service (wrk inside the orders pod → the pod's 127.0.0.1:{mesh port of
/// users} → gateway → link, which rides the API server's port-forward → the laptop mesh → users), against the opposite
/// direction over the same transport: wrk on the laptop → a plain port-forward (the runtime's PortForwardListener, the
/// local port the mesh itself routes orders to) → the orders pod. Same server kind both ways: MeshDev.TestService,
/// GET /. Two more laptop targets price the parts: users through the laptop mesh alone, and orders through the laptop
/// mesh and the port-forward (the pod → laptop path minus the gateway and link framing, in the other direction).
/// </summary>
internal static class LaptopPathBench
{
    public const string PodToLaptop = "pod → users";
    public const string PortForward = "laptop → orders (pf)";
    public const string MeshOnly = "laptop → users (mesh)";
    public const string MeshAndPortForward = "laptop → orders (mesh)";

    public static async Task<WarmResult> RunAsync(BenchCluster cluster, IReadOnlyList<WrkLoad> loads, TimeSpan warmup, int rounds, CancellationToken cancellationToken)
    {
        await cluster.Service(BenchCluster.Laptop).StartAsync(cancellationToken).ConfigureAwait(false);
        var orders = cluster.Service(BenchCluster.CallerPod).Endpoint ?? throw new BenchException("orders has no endpoint: it is not ready");
        var pod = cluster.PodNetworkOf(BenchCluster.CallerPod);
        Console.WriteLine($"  orders' plain port-forward: 127.0.0.1:{orders.Port}; users' mesh port {cluster.MeshPort(BenchCluster.Laptop)}; orders' mesh port {cluster.MeshPort(BenchCluster.CallerPod)}");
        WarmTarget[] targets =
        [
            new(PodToLaptop, "wrk in the orders pod → 127.0.0.1:{mesh port of users} in the pod (gateway → link → laptop mesh → users)", pod, Local(cluster.MeshPort(BenchCluster.Laptop))),
            new(PortForward, "wrk on the laptop → orders' plain port-forward (PortForwardListener → API server → orders pod) — **baseline**", null, Local(orders.Port)),
            new(MeshOnly, "wrk on the laptop → users' mesh port (laptop mesh → users; no cluster transport)", null, Local(cluster.MeshPort(BenchCluster.Laptop))),
            new(MeshAndPortForward, "wrk on the laptop → orders' mesh port (laptop mesh → port-forward → orders pod)", null, Local(cluster.MeshPort(BenchCluster.CallerPod))),
        ];
        var (gateway, app) = await CpuMeter.PodAsync(pod, BenchCluster.CallerPod).ConfigureAwait(false);
        CpuMeter[] meters = [CpuMeter.Bench(), gateway, app, CpuMeter.LaptopService(BenchCluster.Laptop, [.. gateway.Pids, .. app.Pids])];
        return await WarmRounds.RunAsync(targets, loads, warmup, rounds, meters, around: null, cancellationToken).ConfigureAwait(false);
    }

    private static Uri Local(int port) => new($"http://127.0.0.1:{port}/");
}
