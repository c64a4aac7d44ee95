using Docker.DotNet.Models;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Docker.Tests.Runtime;

public sealed class PullProgressTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly List<string> _lines = [];

    private PullProgress Create() => new("shop/orders:1", _lines.Add, _time);

    private static JSONMessage Layer(string id, string status, long current = 0, long total = 0) =>
        new() { ID = id, Status = status, Progress = total > 0 ? new JSONProgress { Current = current, Total = total } : null };

    [Fact]
    public void Layer_events_become_at_most_one_summary_line_per_interval_and_a_closing_line()
    {
        var progress = Create();
        progress.Report(new JSONMessage { ID = "1", Status = "Pulling from shop/orders" });
        progress.Report(Layer("a1", "Pulling fs layer"));
        progress.Report(Layer("b2", "Pulling fs layer"));
        progress.Report(Layer("a1", "Downloading", 1_000_000, 4_000_000));
        progress.Report(Layer("b2", "Downloading", 500_000, 2_000_000));
        _time.Advance(PullProgress.Interval);
        progress.Report(Layer("a1", "Downloading", 4_000_000, 4_000_000));
        progress.Report(Layer("a1", "Pull complete"));
        _time.Advance(TimeSpan.FromMilliseconds(400));
        progress.Report(Layer("b2", "Extracting"));

        Assert.Equal(
        [
            "meshdev: pulling shop/orders:1: 0/1 layers done",
            "meshdev: pulling shop/orders:1: 0/2 layers done, 4.5 MB of 6.0 MB downloaded",
        ], _lines);
        Assert.Equal("meshdev: pulled shop/orders:1 in 1.4 s (2 layers, 6.0 MB)", progress.Finished());
        Assert.Null(progress.Error);
    }

    [Fact]
    public void Layers_already_here_are_counted_as_done_and_named_in_the_closing_line()
    {
        var progress = Create();
        progress.Report(Layer("a1", "Already exists"));
        progress.Report(Layer("b2", "Pull complete"));

        Assert.Equal("meshdev: pulled shop/orders:1 in 0.0 s (2 layers, 1 already here, 0.0 MB)", progress.Finished());
    }

    [Fact]
    public void An_error_in_the_stream_is_kept_for_the_caller_and_not_printed_as_progress()
    {
        var progress = Create();
        progress.Report(new JSONMessage { Error = new JSONError { Message = "manifest for shop/orders:1 not found: manifest unknown" } });

        Assert.Equal("manifest for shop/orders:1 not found: manifest unknown", progress.Error);
        Assert.Empty(_lines);
    }
}
