using System.Net;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>
/// What one run through the gateway showed of its path: the peers of stock's server halfway through (the caller pod's
/// IP when the gateway connects directly; 127.0.0.1 when the call came through the laptop and the API server's
/// port-forward, which connects inside the pod), and the requests the laptop counted for stock against those wrk sent.
/// </summary>
/// <param name="BeforeFromCallerPod">Connections from the caller pod that were established before the run started (left from earlier runs).</param>
internal sealed record PathCheck(int BeforeFromCallerPod, int FromCallerPod, int FromPortForward, int Other, long Sent, long Counted);

internal sealed record PodToPodResult(WarmResult Warm, IReadOnlyList<PathCheck> Checks, string CallerIp, string CalledIp);

/// <summary>
/// Measure 3: warm calls from one ready pod to another: wrk in the orders pod → 127.0.0.1:{mesh port of stock} (the
/// gateway, which the laptop told where stock's ready pod is) against wrk in the orders pod → stock's pod IP directly.
/// </summary>
internal static class PodToPodBench
{
    public const string ThroughGateway = "orders → stock (gw)";
    public const string PodIp = "orders → stock (IP)";

    /// <summary>The gateway reports the requests it carried directly every second (src/MeshDev.Gateway); a little more than that.</summary>
    private static readonly TimeSpan ReportDelay = TimeSpan.FromMilliseconds(1500);

    public static async Task<PodToPodResult> RunAsync(BenchCluster cluster, IReadOnlyList<WrkLoad> loads, TimeSpan warmup, int rounds, CancellationToken cancellationToken)
    {
        await cluster.BringUpPodAsync(BenchCluster.CalledPod, cancellationToken).ConfigureAwait(false);
        var caller = cluster.PodNetworkOf(BenchCluster.CallerPod);
        var called = cluster.PodNetworkOf(BenchCluster.CalledPod);
        var stock = cluster.Service(BenchCluster.CalledPod);
        Console.WriteLine($"  orders pod {caller.Address}, stock pod {called.Address}; stock's mesh port {cluster.MeshPort(BenchCluster.CalledPod)}");

        // Until stock's address has reached orders' gateway, its calls go through the laptop: wait for the first run
        // whose connections arrive from the orders pod itself.
        var gatewayUrl = new Uri($"http://127.0.0.1:{cluster.MeshPort(BenchCluster.CalledPod)}/");
        for (var attempt = 1; ; attempt++)
        {
            var probe = await ObserveAsync(called, caller.Address, stock, new WrkLoad(4, TimeSpan.FromSeconds(2)),
                () => Wrk.RunAsync(ThroughGateway, caller, gatewayUrl, new WrkLoad(4, TimeSpan.FromSeconds(2)), cancellationToken), cancellationToken).ConfigureAwait(false);
            if (probe.Check.FromCallerPod > 0 && probe.Check.FromPortForward == 0)
            {
                Console.WriteLine($"  direct route in use (attempt {attempt}): stock's server saw {probe.Check.FromCallerPod} connection(s) from the orders pod");
                break;
            }

            if (attempt == 10)
            {
                throw new BenchException($"the gateway still sends orders' calls to stock through the laptop after {attempt} tries ({probe.Check})");
            }
        }

        WarmTarget[] targets =
        [
            new(ThroughGateway, "wrk in the orders pod → 127.0.0.1:{mesh port of stock} (gateway → stock's pod IP, the direct route)", caller, gatewayUrl),
            new(PodIp, $"wrk in the orders pod → {called.Address}:{BenchCluster.AppPort} (stock's pod IP, no gateway) — **baseline**", caller,
                new Uri($"http://{called.Address}:{BenchCluster.AppPort}/")),
        ];
        var checks = new List<PathCheck>();
        var (gateway, _) = await CpuMeter.PodAsync(caller, BenchCluster.CallerPod).ConfigureAwait(false);
        var (_, app) = await CpuMeter.PodAsync(called, BenchCluster.CalledPod).ConfigureAwait(false);
        CpuMeter[] meters = [gateway, app, CpuMeter.Bench()];
        var warm = await WarmRounds.RunAsync(targets, loads, warmup, rounds, meters, async (target, load, run) =>
        {
            if (target.Name != ThroughGateway)
            {
                return await run().ConfigureAwait(false);
            }

            var observed = await ObserveAsync(called, caller.Address, stock, load, run, cancellationToken).ConfigureAwait(false);
            checks.Add(observed.Check);
            return observed.Run;
        }, cancellationToken).ConfigureAwait(false);
        return new PodToPodResult(warm, checks, caller.Address.ToString(), called.Address.ToString());
    }

    private static async Task<(WrkRun Run, PathCheck Check)> ObserveAsync(
        PodNetwork called, IPAddress callerIp, MeshDev.Activation.ServiceActivator stock, WrkLoad load, Func<Task<WrkRun>> run, CancellationToken cancellationToken)
    {
        var before = (await PeersAsync(called, cancellationToken).ConfigureAwait(false)).Count(p => p.Equals(callerIp));
        var countedBefore = stock.Requests;
        var running = run();
        await Task.Delay(load.Duration / 2, cancellationToken).ConfigureAwait(false);
        var peers = await PeersAsync(called, cancellationToken).ConfigureAwait(false);
        var result = await running.ConfigureAwait(false);
        await Task.Delay(ReportDelay, cancellationToken).ConfigureAwait(false);
        var fromCaller = peers.Count(p => p.Equals(callerIp));
        var fromLoopback = peers.Count(IPAddress.IsLoopback);
        return (result, new PathCheck(before, fromCaller, fromLoopback, peers.Count - fromCaller - fromLoopback, result.Requests, stock.Requests - countedBefore));
    }

    /// <summary>The peers of the established connections to the app's port inside the pod, from <c>ss</c>.</summary>
    private static async Task<List<IPAddress>> PeersAsync(PodNetwork pod, CancellationToken cancellationToken)
    {
        var result = await pod.RunAsync(["ss", "-Htn", "state", "established", "sport", "=", $":{BenchCluster.AppPort}"], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new BenchException($"ss in the stock pod failed: {result.Error.Trim()}");
        }

        var peers = new List<IPAddress>();
        foreach (var line in result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // "0  0  10.x.y.z:8080  10.x.y.w:41234" (Recv-Q, Send-Q, local, peer; IPv4-mapped as [::ffff:a.b.c.d]:port)
            var peer = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1];
            var host = peer[..peer.LastIndexOf(':')].Trim('[', ']');
            if (IPAddress.TryParse(host, out var address))
            {
                peers.Add(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
            }
        }

        return peers;
    }
}
