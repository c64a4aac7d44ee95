using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The Linux network namespace of one pod the stand-in runs (<see cref="ImageBehaviour.Executes"/>): its own loopback,
/// and one veth into the bridge of the stand-in's node namespace with the pod's IP. Every container of the pod runs in
/// it, the kubelet's probes and port-forwards connect from inside it, and tests use it to act as the pod would.
/// </summary>
public sealed partial class PodNetwork
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;

    internal PodNetwork(string name, IPAddress address)
    {
        Name = name;
        Address = address;
    }

    /// <summary>The namespace's name, as <c>ip netns list</c> shows it.</summary>
    public string Name { get; }

    /// <summary>The pod's IP (<c>status.podIP</c>), on the stand-in's bridge.</summary>
    public IPAddress Address { get; }

    /// <summary>The file that holds the namespace, for <c>nsenter --net=</c>.</summary>
    public string Path => $"/run/netns/{Name}";

    /// <summary>A TCP connection to <paramref name="endpoint"/> made from inside the pod, as a process of the pod would make it.</summary>
    public async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = await CreateSocketInsideAsync(endpoint.AddressFamily);
        try
        {
            await socket.ConnectAsync(endpoint, cancellationToken);
            socket.NoDelay = true;
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="command"/> to its end inside the pod's namespace (the test process's environment unless given).</summary>
    public Task<CommandResult> RunAsync(
        IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null, CancellationToken cancellationToken = default) =>
        HostCommand.RunAsync(HostCommand.Find("nsenter"), [$"--net={Path}", "--", .. command], environment, cancellationToken);

    /// <summary>Every process in the namespace now (whatever started it), as <c>ip netns pids</c> finds them.</summary>
    public async Task<IReadOnlyList<int>> ProcessesAsync()
    {
        var output = await HostCommand.RunAsync(HostCommand.Find("ip"), ["netns", "pids", Name]);
        return [.. output.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture))];
    }

    /// <summary>
    /// SIGKILLs every process left in the namespace, again until none is (a process may fork while it is being killed),
    /// then deletes the namespace; its veth goes with it, and so does the peer in the node's bridge.
    /// </summary>
    internal async Task DeleteAsync()
    {
        await KillAllAsync(Name);
        await HostCommand.IpAsync("netns", "delete", Name);
    }

    internal static async Task KillAllAsync(string name)
    {
        var spared = UnixProcess.SelfAndAncestors(Environment.ProcessId);
        for (var round = 0; round < 250; round++)
        {
            var result = await HostCommand.RunAsync(HostCommand.Find("ip"), ["netns", "pids", name]);
            var pids = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture))
                .Where(p => !spared.Contains(p))
                .ToList();
            if (pids.Count == 0)
            {
                return;
            }

            pids.ForEach(p => UnixProcess.SignalProcess(p, UnixProcess.SigKill));
            // The kernel's pace, not the simulated cluster's: a killed process leaves the namespace as it is reaped.
            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System);
        }
    }

    /// <summary>
    /// A socket belongs to the network namespace of the thread that created it, for its whole life. So a thread of its
    /// own (never a pool thread, which would carry the namespace into unrelated work) enters the pod's namespace,
    /// creates the socket, and returns to the namespace it came from before it ends; the socket is then used from
    /// anywhere.
    /// </summary>
    private Task<Socket> CreateSocketInsideAsync(AddressFamily family)
    {
        var created = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                created.SetResult(CreateInside(family));
            }
            catch (Exception e)
            {
                created.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = $"setns {Name}",
        };
        thread.Start();
        return created.Task;
    }

    private Socket CreateInside(AddressFamily family)
    {
        var home = Open("/proc/thread-self/ns/net");
        try
        {
            var pod = Open(Path);
            try
            {
                Enter(pod, Name);
                try
                {
                    return new Socket(family, SocketType.Stream, ProtocolType.Tcp);
                }
                finally
                {
                    // Should this fail, the thread ends right after and runs nothing else inside the pod's namespace.
                    Enter(home, "the test process's own network namespace");
                }
            }
            finally
            {
                _ = Close(pod);
            }
        }
        finally
        {
            _ = Close(home);
        }
    }

    private static int Open(string path)
    {
        var fd = OpenFile(path, ReadOnly | CloseOnExec);
        return fd >= 0 ? fd : throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
    }

    private static void Enter(int fd, string what)
    {
        if (SetNamespace(fd, CloneNewNet) != 0)
        {
            throw new IOException($"setns into {what} failed: errno {Marshal.GetLastPInvokeError()} (it needs root)");
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenFile(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int type);
}
