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
    private readonly TextWriter _out;
    private string? _status;

    /// <param name="writer">Where to write (the console when null).</param>
    /// <param name="terminal">Whether the writer is a terminal (colours, a redrawn status line); detected when null.</param>
    public ForegroundOutput(IEnumerable<string> services, TextWriter? writer = null, bool? terminal = null)
    {
        var names = services.Append("meshdev").ToArray();
        _width = names.Max(n => n.Length);
        _out = writer ?? Console.Out;
        IsTerminal = terminal ?? (!Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb"));
        _color = IsTerminal && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        for (var i = 0; i < names.Length; i++)
        {
            _colors[names[i]] = names[i] == "meshdev" ? "\e[1m" : Palette[i % Palette.Length];
        }
    }

    /// <summary>True when output goes to a terminal: a status line can be redrawn in place.</summary>
    public bool IsTerminal { get; }

    public void ServiceLine(string service, string line) => Write(service, line);

    /// <summary>
    /// Shows <paramref name="status"/> as the last line of a terminal, redrawn in place and kept below every line written
    /// after it; null removes it. Does nothing when the output is not a terminal.
    /// </summary>
    public void SetStatus(string? status)
    {
        if (!IsTerminal)
        {
            return;
        }

        lock (_gate)
        {
            if (status == _status)
            {
                return;
            }

            ClearStatusLocked();
            _status = status;
            DrawStatusLocked();
            _out.Flush();
        }
    }

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
            ClearStatusLocked();
            _out.WriteLine(_color ? $"{_colors.GetValueOrDefault(source, "")}{prefix} |\e[0m {line}" : $"{prefix} | {line}");
            DrawStatusLocked();
            _out.Flush();
        }
    }

    // Carriage return + erase line: the status line is replaced by whatever comes next.
    private void ClearStatusLocked()
    {
        if (_status is not null)
        {
            _out.Write("\r\e[2K");
        }
    }

    private void DrawStatusLocked()
    {
        if (_status is not null)
        {
            var width = Console.IsOutputRedirected ? 120 : Math.Max(20, Console.WindowWidth - 1);
            var text = $"{"meshdev".PadRight(_width)} | {_status}";
            _out.Write(_color ? $"\e[2m{Truncate(text, width)}\e[0m" : Truncate(text, width));
        }
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
