using System.Text.Json;
using System.Text.Json.Serialization;

namespace MeshDev.Daemon.State;

/// <summary>The contents of <c>daemon.json</c>: how the CLI finds and authenticates to a running mesh.</summary>
public sealed record DaemonInfo(int Pid, string ControlUrl, string Token, string Manifest, int HttpPort, DateTimeOffset StartedAt)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes the file readable by its owner only (0600): the token lets whoever reads it drive the mesh.</summary>
    public void Write(string path)
    {
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, this, Json);
        }

        File.Move(temp, path, overwrite: true);
    }

    public static DaemonInfo? TryRead(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<DaemonInfo>(File.ReadAllText(path), Json);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>True while the daemon's process is alive (a zombie is not).</summary>
    [JsonIgnore]
    public bool IsAlive => MeshDev.Runtime.UnixProcess.IsAlive(Pid);
}
