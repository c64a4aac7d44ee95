using System.Globalization;

namespace MeshDev.Gateway;

/// <summary>
/// <c>meshdev-gateway --wait-listening</c>: the sidecar's postStart hook. The kubelet starts the pod's app only once
/// this exits 0, so the app's first call to another service never finds its mesh port closed. It reads the pod's own
/// socket table (<c>/proc/net/tcp</c> of the network namespace it runs in, the pod's) rather than connecting: the
/// kubelet's own probes come from the node, and the gateway listens on 127.0.0.1 only, and a connection to the link
/// port would be taken for the laptop's link.
/// </summary>
internal static class ListeningCheck
{
    public const string Argument = "--wait-listening";

    private const string ListenState = "0A";

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    /// <summary>The hook's bound: the gateway listens within milliseconds of its start, or it has failed and exited.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    /// <summary>Waits until every port of <paramref name="settings"/> listens on 127.0.0.1; the ports still closed at the limit, or none.</summary>
    public static async Task<IReadOnlyList<int>> WaitAsync(GatewaySettings settings, Func<string> readTable, TimeProvider time, CancellationToken cancellationToken)
    {
        var wanted = settings.Ports.Keys.Append(settings.LinkPort).ToHashSet();
        var deadline = time.GetTimestamp() + (long)(Limit.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            wanted.ExceptWith(LoopbackListeners(readTable()));
            if (wanted.Count == 0 || time.GetTimestamp() >= deadline)
            {
                return [.. wanted.Order()];
            }

            await Task.Delay(Interval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The ports in the LISTEN state on 127.0.0.1 in a <c>/proc/net/tcp</c> table. Its addresses are the kernel's 32-bit
    /// value printed in the machine's byte order, so 127.0.0.1 is compared as this machine reads those four bytes.
    /// </summary>
    public static IEnumerable<int> LoopbackListeners(string table)
    {
        var loopback = BitConverter.ToUInt32([127, 0, 0, 1]);
        foreach (var line in table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || fields[3] != ListenState)
            {
                continue;
            }

            var local = fields[1].Split(':');
            if (local.Length == 2
                && uint.TryParse(local[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var address) && address == loopback
                && int.TryParse(local[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port))
            {
                yield return port;
            }
        }
    }
}
