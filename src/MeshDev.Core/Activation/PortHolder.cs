using System.Globalization;
using System.Net;
using MeshDev.Calls;
using MeshDev.Catalog;
using MeshDev.Discovery;
using MeshDev.Runtime;

namespace MeshDev.Activation;

/// <summary>What to do with the program found listening on a service's fixed port: adopt it (with a note on why), or refuse with a sentence.</summary>
/// <param name="Refusal">Why the port cannot be the service's, and the fix; null to adopt.</param>
/// <param name="Note">Why a holder that did not answer was adopted all the same; null when it answered.</param>
internal sealed record PortHolderVerdict(string? Refusal, string? Note);

/// <summary>
/// Decides whether what already listens on a service's fixed port is that service (run from the IDE: adopted as
/// <c>external</c>) or some other program (a netcat listener) that would hold every call forever. The rule:
/// <list type="number">
/// <item>It answers in the service's protocol within <see cref="Grace"/> (any HTTP status line, even an error; an HTTP/2
/// frame for gRPC; for <c>protocol: tcp</c> accepting is all that can be judged): adopted.</item>
/// <item>It is silent, but cannot answer because it is paused: its process is stopped (state T: SIGSTOP, Ctrl+Z; t: a
/// ptrace debugger such as gdb, lldb or delve at a breakpoint) or is being traced: adopted.</item>
/// <item>It is silent, but busy: its process used CPU while it was asked (at least <see cref="BusyTicks"/> clock ticks
/// within the grace), so it is working on an answer: a slow service (a cold .NET process on a loaded machine): adopted
/// as before. A netcat listener waiting on its socket uses none.</item>
/// <item>It is silent, but was started with the mesh's launch profile for this service (its environment has
/// <c>MESHDEV_SERVICE</c> = the service): adopted. A .NET debugger (vsdbg, netcoredbg, Rider) pauses managed threads
/// without the kernel seeing a stop, so this is how a .NET service paused at a breakpoint is told from a stranger.</item>
/// <item>Otherwise: refused, naming the process that holds the port (pid and command line, from /proc).</item>
/// </list>
/// </summary>
internal static class PortHolder
{
    /// <summary>How long the holder has to answer: a running service answers a request within milliseconds.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    // A holder that closed the connection without a word may be restarting: it is asked again until the grace is over.
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(100);

    /// <summary>CPU time (in clock ticks: 30 ms, 1 % of a core over the grace) that shows a silent holder at work.</summary>
    internal const long BusyTicks = 3;

    /// <summary>Asks the holder of 127.0.0.1:<paramref name="port"/> until it answers or <see cref="Grace"/> is over, then judges it by the rule above.</summary>
    public static async Task<PortHolderVerdict> JudgeAsync(ServiceSpec service, int port, TimeProvider time, CancellationToken cancellationToken)
    {
        // Who holds the port and how much CPU it has used so far, found while it is asked: an answer does not wait for this.
        var before = Task.Run(() => CpuTicksOf(PortListeners.Of(port)), CancellationToken.None);
        using (var grace = new CancellationTokenSource(Grace, time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, grace.Token))
        {
            try
            {
                for (var attempt = 0; ; attempt++)
                {
                    if (await ProtocolAnswer.AnswersAsync(service, new IPEndPoint(IPAddress.Loopback, port), linked.Token, otherVersion: attempt % 2 == 1).ConfigureAwait(false))
                    {
                        return new PortHolderVerdict(null, null);
                    }

                    await Task.Delay(Retry, time, linked.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The grace is over without an answer.
            }
        }

        // Gone while it was asked (stopped meanwhile): nothing to judge; the next try launches the service on the free port.
        if (Ports.CanBind(port))
        {
            return new PortHolderVerdict($"the program on port {Text(port)} stopped listening while the mesh checked whether it is the service; the next request launches the service", null);
        }

        var holders = await before.ConfigureAwait(false);
        var busy = holders.Where(h => ProcProcesses.CpuTicks(h.Key) is { } now && now - h.Value >= BusyTicks).Select(h => h.Key).ToHashSet();
        return Judge(service, port, [.. holders.Keys.Order()], busy);
    }

    /// <summary>
    /// The verdict on holders that did not answer within the grace (the processes holding the listening socket, lowest
    /// pid first); <paramref name="busy"/> are those that used CPU meanwhile.
    /// </summary>
    internal static PortHolderVerdict Judge(ServiceSpec service, int port, IReadOnlyList<int> holders, IReadOnlySet<int> busy)
    {
        var silence = $"which did not answer as {ProtocolAnswer.Kind(service)} within {ServiceActivator.Format(Grace)}: stop it or change 'port:'";
        if (holders.Count == 0)
        {
            return new PortHolderVerdict($"port {Text(port)} is held by a program whose process this user cannot see (another user's or a container's), {silence}", null);
        }

        foreach (var pid in holders)
        {
            var who = $"pid {Text(pid)} ({PortListeners.CommandLine(pid)})";
            if (ProcProcesses.State(pid) is 'T' or 't')
            {
                return new PortHolderVerdict(null, $"{who} is paused (stopped, e.g. at a breakpoint), so it is taken for the service and answers once it runs again");
            }

            if (ProcProcesses.TracerPid(pid) is > 0 and var tracer)
            {
                return new PortHolderVerdict(null, $"{who} is being debugged (traced by pid {Text(tracer)}), so it is taken for the service");
            }

            if (busy.Contains(pid))
            {
                return new PortHolderVerdict(null, $"{who} did not answer within {ServiceActivator.Format(Grace)} but is busy, so it is taken for a slow service");
            }

            if (ProcProcesses.EnvironmentVariable(pid, DiscoveryEnvironment.ServiceVariable) == service.Name)
            {
                return new PortHolderVerdict(null, $"{who} was started with the mesh's launch profile for {service.Name} (it may be paused at a breakpoint), so it is taken for the service");
            }
        }

        return new PortHolderVerdict($"port {Text(port)} is held by pid {Text(holders[0])} ({PortListeners.CommandLine(holders[0])}), {silence}", null);
    }

    private static Dictionary<int, long> CpuTicksOf(IReadOnlyList<int> pids)
    {
        var ticks = new Dictionary<int, long>();
        foreach (var pid in pids)
        {
            ticks[pid] = ProcProcesses.CpuTicks(pid) ?? 0;
        }

        return ticks;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
