using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>
/// One cold call, in ms after its start: the mesh began the launch (the activator's state Starting: the request has
/// reached the laptop mesh), the service was ready (its probe passed), the whole response was in. Both state changes
/// are seen through the activator's StateChanged event, which is delivered a thread-pool hop late on both sides alike.
/// </summary>
internal sealed record ColdCall(double TotalMs, double StartingMs, double ReadyMs);

/// <summary>One cold round: a GET / to the mesh port of the stopped laptop service, from the pod and from the laptop.</summary>
internal sealed record ColdRound(ColdCall Pod, ColdCall Laptop)
{
    public double PodMs => Pod.TotalMs;

    public double LaptopMs => Laptop.TotalMs;
}

internal sealed record ColdResult(IReadOnlyList<ColdRound> Rounds, int WarmupRounds, int Launches);

/// <summary>
/// Measure 1: a cold call from a pod to a stopped laptop service (the pod's 127.0.0.1:{mesh port}, its gateway, the
/// link, the laptop mesh, which launches the service), against the same cold call made on the laptop (the mesh port on
/// the laptop's 127.0.0.1). Both sides use the same client in this process — an HttpClient with a fresh connection —
/// so no process start is timed: on the pod's side its socket is created inside the pod's network namespace
/// (<see cref="PodNetwork.ConnectAsync"/>), so it connects to what the pod's own 127.0.0.1 has (the gateway). Timed from
/// the request's start (the connect included, on both sides) to its whole body; the service is stopped between rounds.
/// </summary>
internal sealed class ColdCallBench(BenchCluster cluster)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Between a stop and the next call: what a stopped process leaves to the kernel (its exit, socket teardown) should
    /// not land inside the next timed call; the same pause on both sides.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    public async Task<ColdResult> RunAsync(int rounds, int warmup, CancellationToken cancellationToken)
    {
        var pod = cluster.PodNetworkOf(BenchCluster.CallerPod);
        var port = cluster.MeshPort(BenchCluster.Laptop);
        var service = cluster.Service(BenchCluster.Laptop);
        if (service.State != ServiceState.Stopped)
        {
            await cluster.StopAsync(BenchCluster.Laptop, cancellationToken).ConfigureAwait(false);
        }

        var launchesBefore = service.Launches;
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var results = new List<ColdRound>();
        for (var i = 0; i < warmup + rounds; i++)
        {
            // A then B, B then A: neither side always follows the other.
            ColdCall fromPod, onLaptop;
            if (i % 2 == 0)
            {
                fromPod = await RoundAsync(ct => pod.ConnectAsync(endpoint, ct), cancellationToken).ConfigureAwait(false);
                onLaptop = await RoundAsync(ct => ConnectOnLaptopAsync(endpoint, ct), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                onLaptop = await RoundAsync(ct => ConnectOnLaptopAsync(endpoint, ct), cancellationToken).ConfigureAwait(false);
                fromPod = await RoundAsync(ct => pod.ConnectAsync(endpoint, ct), cancellationToken).ConfigureAwait(false);
            }

            var label = i < warmup ? $"warm-up {i + 1}/{warmup}" : $"round {i - warmup + 1}/{rounds}";
            Console.WriteLine($"  {label}: from the pod {Describe(fromPod)}; on the laptop {Describe(onLaptop)}; difference {Stats.Signed(fromPod.TotalMs - onLaptop.TotalMs)}");
            if (i >= warmup)
            {
                results.Add(new ColdRound(fromPod, onLaptop));
            }
        }

        return new ColdResult(results, warmup, service.Launches - launchesBefore);
    }

    private static string Describe(ColdCall call) =>
        $"{Stats.Ms(call.TotalMs)} (launch at {Stats.Ms(call.StartingMs)}, ready at {Stats.Ms(call.ReadyMs)})";

    private async Task<ColdCall> RoundAsync(Func<CancellationToken, Task<Socket>> connect, CancellationToken cancellationToken)
    {
        var service = cluster.Service(BenchCluster.Laptop);
        if (service.State != ServiceState.Stopped)
        {
            throw new BenchException($"{BenchCluster.Laptop} should be stopped before a cold round, but is {service.State}");
        }

        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (_, ct) => new NetworkStream(await connect(ct).ConfigureAwait(false), ownsSocket: true),
        };
        using var client = new HttpClient(handler) { Timeout = RoundTimeout };
        var url = new Uri($"http://127.0.0.1:{cluster.MeshPort(BenchCluster.Laptop)}/");
        long starting = 0, ready = 0;
        void OnChange(ServiceStateChange change)
        {
            var now = Stopwatch.GetTimestamp();
            if (change.To == ServiceState.Starting)
            {
                Interlocked.CompareExchange(ref starting, now, 0);
            }
            else if (change.To == ServiceState.Ready)
            {
                Interlocked.CompareExchange(ref ready, now, 0);
            }
        }

        service.StateChanged += OnChange;
        var started = Stopwatch.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await client.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            service.StateChanged -= OnChange;
        }

        using var answered = response;
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        double Since(long timestamp) => timestamp == 0 ? double.NaN : Stopwatch.GetElapsedTime(started, timestamp).TotalMilliseconds;
        var body = await answered.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK || !body.Contains($"hello from {BenchCluster.Laptop}", StringComparison.Ordinal))
        {
            throw new BenchException($"the cold call answered {(int)response.StatusCode}: {body}\n{cluster.Mesh.LogOf(BenchCluster.Laptop)}");
        }

        await cluster.StopAsync(BenchCluster.Laptop, cancellationToken).ConfigureAwait(false);
        await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);
        return new ColdCall(elapsed, Since(Volatile.Read(ref starting)), Since(Volatile.Read(ref ready)));
    }

    private static async Task<Socket> ConnectOnLaptopAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
