using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Authoring.Profiles;

/// <summary>
/// Fixed ports to suggest for services with <c>port: auto</c>: outside everything the mesh uses (shared port, xDS,
/// the mesh port range, every service's ports) and free right now. The port the user's default launch profile already
/// uses comes first — the app is used to it; else the first free port from 5100 up, near where ASP.NET templates pick theirs.
/// </summary>
internal sealed class PortSuggestions(MeshManifest manifest, Func<int, bool>? isFree)
{
    private const int FirstCandidate = 5100;

    private readonly HashSet<int> _taken =
    [
        manifest.Mesh.HttpPort,
        manifest.Mesh.XdsPort,
        .. manifest.Services.Select(s => s.MeshPort),
        .. manifest.Services.Select(s => s.HostPort).OfType<int>(),
    ];

    private readonly Func<int, bool> _isFree = isFree ?? Ports.CanBind;

    /// <summary>A port for <paramref name="service"/>, different from every port suggested before.</summary>
    public int For(ServiceSpec service)
    {
        var port = FromLaunchSettings(service) is int preferred && Usable(preferred)
            ? preferred
            : Enumerable.Range(FirstCandidate, 65535 - FirstCandidate).First(Usable);
        _taken.Add(port);
        return port;
    }

    private bool Usable(int port) =>
        !_taken.Contains(port)
        && (port < manifest.Mesh.PortRangeStart || port > manifest.Mesh.PortRangeEnd)
        && _isFree(port);

    private static int? FromLaunchSettings(ServiceSpec service)
    {
        try
        {
            var bytes = File.ReadAllBytes(LaunchSettingsFile.PathFor(service.Project!));
            return LaunchSettingsFile.DefaultHttpPort(new JsoncEditor(bytes, LaunchSettingsFile.DefaultIndent).Root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsoncException)
        {
            // No file, or one this command will report when the service has a port: nothing to suggest from.
            return null;
        }
    }
}
