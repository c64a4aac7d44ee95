using MeshDev.Activation;

namespace MeshDev.Cli.Infrastructure;

/// <summary>
/// The aggregated output of <c>meshdev up</c>: every service's lines prefixed with <c>name |</c> (a colour per
/// service on a terminal), and the mesh's own lifecycle lines under <c>meshdev |</c>.
/// </summary>
public sealed class ForegroundOutput
{
    private static readonly string[] Palette = ["\e[36m", "\e[33m", "\e[32m", "\e[35m", "\e[34m", "\e[91m", "\e[96m", "\e[93m"];
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _colors = new(StringComparer.Ordinal);
    private readonly int _width;
    private readonly bool _color;

    public ForegroundOutput(IEnumerable<string> services)
    {
        var names = services.Append("meshdev").ToArray();
        _width = names.Max(n => n.Length);
        _color = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        for (var i = 0; i < names.Length; i++)
        {
            _colors[names[i]] = names[i] == "meshdev" ? "\e[1m" : Palette[i % Palette.Length];
        }
    }

    public void ServiceLine(string service, string line) => Write(service, line);

    public void Mesh(string line) => Write("meshdev", line);

    public void StateChange(ServiceStateChange change)
    {
        var verb = change.To switch
        {
            ServiceState.Starting => "starting",
            ServiceState.Ready => "ready",
            ServiceState.Stopping => "stopping",
            ServiceState.Stopped => "stopped",
            ServiceState.Failed => "FAILED",
            ServiceState.External => "external",
            _ => change.To.ToString().ToLowerInvariant(),
        };
        Write("meshdev", $"{change.Service}: {verb}: {change.Detail}");
    }

    private void Write(string source, string line)
    {
        var prefix = source.PadRight(_width);
        lock (_gate)
        {
            Console.Out.WriteLine(_color ? $"{_colors.GetValueOrDefault(source, "")}{prefix} |\e[0m {line}" : $"{prefix} | {line}");
        }
    }
}
