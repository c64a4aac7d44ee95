using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The network of the stand-in's node: a namespace of its own (never the host's, so nothing a pod sends is routed off
/// the machine or to the host's loopback) holding a bridge, and one <see cref="PodNetwork"/> per pod plugged into it,
/// addressed from a /24 picked for this stand-in. Namespace names carry the owning process's pid and start time
/// (<c>msi-{pid}.{start}-{n}-…</c>), so a later run can tell which ones a crashed run left behind and remove them.
/// </summary>
internal sealed class NodeNetwork
{
    public const string NamePrefix = "msi-";
    private const string Bridge = "br0";
    private const string NamespaceDirectory = "/run/netns";

    private static int _instances;

    private readonly byte[] _subnet;
    private int _pods;

    private NodeNetwork(string prefix, byte[] subnet)
    {
        Prefix = prefix;
        _subnet = subnet;
    }

    /// <summary>What every namespace of this stand-in is named with (node and pods).</summary>
    public string Prefix { get; }

    private string Name => Prefix + "node";

    /// <summary>The name prefix for the stand-in started now in this process.</summary>
    public static string NextPrefix() =>
        $"{NamePrefix}{Environment.ProcessId}.{UnixProcess.TryGetStartTime(Environment.ProcessId)}-{Interlocked.Increment(ref _instances)}-";

    /// <summary>Null when this process may make network namespaces; else why not, in one sentence saying what to do.</summary>
    public static string? RootProblem => Environment.IsPrivilegedProcess
        ? null
        : "the stand-in runs each pod of an ImageBehaviour.Executes image in its own Linux network namespace, " +
          "which needs root (ip netns, nsenter, setns): run these tests as root, as CI does";

    public static async Task<NodeNetwork> CreateAsync(string prefix)
    {
        if (RootProblem is { } problem)
        {
            throw new InvalidOperationException(problem);
        }

        // 10.{64-254}.{0-255}.0/24: which one does not matter for isolation (every stand-in has its own bridge in its own
        // namespace), but a different one per stand-in keeps a test's addresses from being mistaken for another's.
        var node = new NodeNetwork(prefix, [10, (byte)RandomNumberGenerator.GetInt32(64, 255), (byte)RandomNumberGenerator.GetInt32(0, 256)]);
        await HostCommand.IpAsync("netns", "add", node.Name);
        try
        {
            await HostCommand.IpAsync("-n", node.Name, "link", "add", Bridge, "type", "bridge");
            await HostCommand.IpAsync("-n", node.Name, "link", "set", Bridge, "up");
        }
        catch
        {
            await node.DeleteAsync();
            throw;
        }

        return node;
    }

    /// <summary>A new namespace for a pod: loopback up, a veth into the node's bridge, the next address of the subnet.</summary>
    public async Task<PodNetwork> AddPodAsync()
    {
        var n = Interlocked.Increment(ref _pods);
        if (n > 253)
        {
            throw new InvalidOperationException($"the stand-in's pod subnet {_subnet[0]}.{_subnet[1]}.{_subnet[2]}.0/24 is used up: start a new stand-in");
        }

        var address = new IPAddress([.. _subnet, (byte)(n + 1)]);
        var pod = new PodNetwork(Prefix + n.ToString(CultureInfo.InvariantCulture), address);
        var peer = $"p{n}";
        await HostCommand.IpAsync("netns", "add", pod.Name);
        try
        {
            await HostCommand.IpAsync("-n", pod.Name, "link", "set", "lo", "up");
            await HostCommand.IpAsync("-n", Name, "link", "add", peer, "type", "veth", "peer", "name", "eth0", "netns", pod.Name);
            await HostCommand.IpAsync("-n", Name, "link", "set", peer, "master", Bridge, "up");
            await HostCommand.IpAsync("-n", pod.Name, "addr", "add", $"{address}/24", "dev", "eth0");
            await HostCommand.IpAsync("-n", pod.Name, "link", "set", "eth0", "up");
        }
        catch
        {
            await pod.DeleteAsync();
            throw;
        }

        return pod;
    }

    /// <summary>Deletes the node's namespace and the bridge in it (the pods' namespaces are deleted with their pods).</summary>
    public Task DeleteAsync() => Remove(Name);

    /// <summary>
    /// Removes the namespaces of this prefix whose owning process is gone (a test run that crashed), and whatever still
    /// runs in them. Namespaces of live processes — other test projects running now — are left alone.
    /// </summary>
    public static async Task RemoveStaleAsync()
    {
        string[] names;
        try
        {
            names = Directory.GetFiles(NamespaceDirectory, NamePrefix + "*").Select(Path.GetFileName).OfType<string>().ToArray();
        }
        catch (DirectoryNotFoundException)
        {
            return;
        }

        foreach (var name in names.Where(IsStale))
        {
            try
            {
                await Remove(name);
            }
            catch (InvalidOperationException)
            {
                // Not root, or removed meanwhile by another run's cleanup: not this stand-in's to insist on.
            }
        }
    }

    private static async Task Remove(string name)
    {
        await PodNetwork.KillAllAsync(name);
        await HostCommand.IpAsync("netns", "delete", name);
    }

    private static bool IsStale(string name)
    {
        var owner = name[NamePrefix.Length..].Split('-')[0].Split('.');
        return owner.Length == 2
            && int.TryParse(owner[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && long.TryParse(owner[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            && UnixProcess.TryGetStartTime(pid) != start;
    }
}
