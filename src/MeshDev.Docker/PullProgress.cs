using System.Globalization;
using Docker.DotNet.Models;
using MeshDev.Text;

namespace MeshDev.Docker;

/// <summary>
/// Turns the engine's pull messages (one per layer event) into a few readable lines: a summary of all layers at most
/// once per <see cref="Interval"/>, and one line when the pull ends. The engine's error message is kept for the caller.
/// </summary>
internal sealed class PullProgress(string image, Action<string> write, TimeProvider time) : IProgress<JSONMessage>
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);
    private readonly long _startedAt = time.GetTimestamp();
    private long _lastLine = long.MinValue;

    /// <summary>The engine's error, if the pull failed inside the stream (HTTP status 200, error in the body).</summary>
    public string? Error { get; private set; }

    public void Report(JSONMessage value)
    {
        string? line = null;
        lock (_gate)
        {
            if (value.Error?.Message is { Length: > 0 } || value.ErrorMessage is { Length: > 0 })
            {
                Error = value.Error?.Message is { Length: > 0 } message ? message : value.ErrorMessage;
                return;
            }

            if (string.IsNullOrEmpty(value.ID) || value.Status is null || value.Status.StartsWith("Pulling from", StringComparison.Ordinal))
            {
                return;
            }

            var layer = _layers.TryGetValue(value.ID, out var known) ? known : new Layer();
            layer.Status = value.Status;
            if (value.Progress is { Total: > 0 } progress && value.Status == "Downloading")
            {
                layer.Downloaded = progress.Current;
                layer.Size = progress.Total;
            }

            if (value.Status is "Download complete" or "Pull complete" or "Already exists")
            {
                layer.Downloaded = layer.Size;
            }

            _layers[value.ID] = layer;
            var now = time.GetTimestamp();
            if (_lastLine == long.MinValue || time.GetElapsedTime(_lastLine, now) >= Interval)
            {
                _lastLine = now;
                line = Summary();
            }
        }

        if (line is not null)
        {
            write(line);
        }
    }

    /// <summary>The closing line: how long the pull took and how much it fetched.</summary>
    public string Finished()
    {
        lock (_gate)
        {
            var bytes = _layers.Values.Sum(l => l.Size);
            var reused = _layers.Values.Count(l => l.Status == "Already exists");
            var elapsed = time.GetElapsedTime(_startedAt);
            var reusedText = reused > 0 ? $", {reused} already here" : "";
            return $"meshdev: pulled {image} in {elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s ({Plural.Of(_layers.Count, "layer")}{reusedText}, {Megabytes(bytes)})";
        }
    }

    private string Summary()
    {
        var done = _layers.Values.Count(l => l.Status is "Pull complete" or "Already exists");
        var downloaded = _layers.Values.Sum(l => l.Downloaded);
        var size = _layers.Values.Sum(l => l.Size);
        var extracting = _layers.Values.Count(l => l.Status == "Extracting");
        var sizeText = size > 0 ? $", {Megabytes(downloaded)} of {Megabytes(size)} downloaded" : "";
        var extractingText = extracting > 0 ? $", {extracting} extracting" : "";
        return $"meshdev: pulling {image}: {done}/{_layers.Count} layers done{sizeText}{extractingText}";
    }

    private static string Megabytes(long bytes) => (bytes / 1_000_000.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private sealed class Layer
    {
        public string Status { get; set; } = "";
        public long Downloaded { get; set; }
        public long Size { get; set; }
    }
}
