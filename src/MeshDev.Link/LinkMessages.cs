using System.Globalization;
using System.Text;

namespace MeshDev.Link;

/// <summary>The link's protocol version; a gateway of another version is told so instead of being misread.</summary>
public static class LinkProtocol
{
    public const int Version = 1;
}

/// <summary>
/// The gateway's greeting: its protocol version, the service its pod runs and the pod's name (so calls from it are
/// this service's in the call graph, and messages can name the pod). Encoded as <c>key=value</c> lines.
/// </summary>
public sealed record LinkHello(int Version, string Service, string Pod)
{
    public byte[] Encode() => Lines.Encode([("version", Version.ToString(CultureInfo.InvariantCulture)), ("service", Service), ("pod", Pod)]);

    public static LinkHello Decode(ReadOnlySpan<byte> payload)
    {
        var values = Lines.Decode(payload);
        return new LinkHello(
            int.TryParse(values.GetValueOrDefault("version"), CultureInfo.InvariantCulture, out var version) ? version : 0,
            values.GetValueOrDefault("service") ?? "",
            values.GetValueOrDefault("pod") ?? "");
    }
}

/// <summary>What a new stream asks for: a connection to the mesh's port <paramref name="Port"/> on the laptop.</summary>
public sealed record LinkOpen(int Port)
{
    public byte[] Encode() => Lines.Encode([("port", Port.ToString(CultureInfo.InvariantCulture))]);

    public static LinkOpen Decode(ReadOnlySpan<byte> payload) =>
        new(int.TryParse(Lines.Decode(payload).GetValueOrDefault("port"), CultureInfo.InvariantCulture, out var port) ? port : 0);
}

/// <summary>
/// The services a gateway may reach directly, inside the cluster, instead of through the laptop: mesh port → the ready
/// pod's address. A service not listed goes through the link (the laptop launches it, or it runs on the laptop).
/// </summary>
public sealed record LinkRoutes(IReadOnlyDictionary<int, LinkDirectRoute> Direct)
{
    public static LinkRoutes None { get; } = new(new Dictionary<int, LinkDirectRoute>());

    public byte[] Encode() => Lines.Encode([.. Direct.OrderBy(d => d.Key).Select(d =>
        (d.Key.ToString(CultureInfo.InvariantCulture), $"{d.Value.Service} {d.Value.Host} {d.Value.Port.ToString(CultureInfo.InvariantCulture)}"))]);

    public static LinkRoutes Decode(ReadOnlySpan<byte> payload)
    {
        var direct = new Dictionary<int, LinkDirectRoute>();
        foreach (var (key, value) in Lines.Decode(payload))
        {
            var parts = value.Split(' ');
            if (parts.Length == 3
                && int.TryParse(key, CultureInfo.InvariantCulture, out var meshPort)
                && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var port))
            {
                direct[meshPort] = new LinkDirectRoute(parts[0], parts[1], port);
            }
        }

        return new LinkRoutes(direct);
    }
}

/// <summary>A ready pod of <paramref name="Service"/> at <paramref name="Host"/>:<paramref name="Port"/>.</summary>
public sealed record LinkDirectRoute(string Service, string Host, int Port);

/// <summary>
/// What the gateway did on its own since its last report, per service it called directly: connections opened and
/// closed, and requests seen. The laptop holds the called service busy while connections are open (idle stop never
/// scales a pod being called to 0) and counts the requests for <c>status</c> and the call graph.
/// </summary>
public sealed record LinkReport(string Service, int Opened, int Closed, long Requests)
{
    public byte[] Encode() => Lines.Encode([
        ("service", Service),
        ("opened", Opened.ToString(CultureInfo.InvariantCulture)),
        ("closed", Closed.ToString(CultureInfo.InvariantCulture)),
        ("requests", Requests.ToString(CultureInfo.InvariantCulture)),
    ]);

    public static LinkReport Decode(ReadOnlySpan<byte> payload)
    {
        var values = Lines.Decode(payload);
        return new LinkReport(values.GetValueOrDefault("service") ?? "", Int("opened"), Int("closed"), long.TryParse(values.GetValueOrDefault("requests"), CultureInfo.InvariantCulture, out var r) ? r : 0);

        int Int(string key) => int.TryParse(values.GetValueOrDefault(key), CultureInfo.InvariantCulture, out var n) ? n : 0;
    }
}

/// <summary><c>key=value</c> lines in UTF-8: readable in a packet dump, and nothing to reflect over in the NativeAOT gateway.</summary>
internal static class Lines
{
    public static byte[] Encode(IEnumerable<(string Key, string Value)> pairs)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            text.Append(key).Append('=').Append(value.Replace('\n', ' ')).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static Dictionary<string, string> Decode(ReadOnlySpan<byte> payload)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in Encoding.UTF8.GetString(payload).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                values[line[..equals]] = line[(equals + 1)..];
            }
        }

        return values;
    }
}
