using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>Services stop after their idle timeout, but never while a request or stream is still open.</summary>
public sealed class IdleStopTests
{
    [Fact]
    public async Task Idle_service_is_stopped_and_its_process_is_gone()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", extra: ["idleTimeout: 1s"]));
        var whoami = await mesh.WhoAmIAsync("orders");

        var stopping = await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Stopping, "stopping when idle");
        var stopped = await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Stopped, "stopped when idle");

        Assert.Equal(ServiceState.Ready, stopping.From);
        Assert.Contains("idle", stopping.Detail);
        Assert.Contains("idle", stopped.Detail);
        Assert.Equal("stopped", mesh.Status("orders").State);
        await Eventually.UntilAsync(() => !TaggedProcesses.IsRunning(whoami.Pid), $"process {whoami.Pid} is gone");
        Assert.Empty(mesh.FindTaggedProcesses());
    }

    [Fact]
    public async Task Open_stream_keeps_the_service_alive_past_its_idle_timeout_until_it_ends()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", extra: ["idleTimeout: 1s"]));
        // One ordered record of what the client saw and what the mesh did.
        var timeline = new List<string>();
        mesh.OnStateChange = change =>
        {
            if (change.Service == "orders")
            {
                lock (timeline)
                {
                    timeline.Add($"state {change.To}");
                }
            }
        };

        // Three lines 1.5 s apart: every gap between two lines is longer than the idle timeout.
        using var response = await mesh.Http.GetAsync(mesh.Url("orders", "/stream?count=3&intervalMs=1500"), HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                lock (timeline)
                {
                    timeline.Add(line);
                }
            }
        }

        lock (timeline)
        {
            timeline.Add("end of stream");
        }

        string[] seen;
        lock (timeline)
        {
            seen = [.. timeline];
        }

        Assert.Equal(["line 1", "line 2", "line 3"], seen.Where(s => s.StartsWith("line", StringComparison.Ordinal)));
        // Until the last line arrived the service was still inside the streaming handler, so any stop before it is a
        // stop during the stream (a later one is the normal idle stop after it).
        var lastLine = Array.IndexOf(seen, "line 3");
        Assert.DoesNotContain("state Stopping", seen[..lastLine]);
        Assert.DoesNotContain("state Stopped", seen[..lastLine]);
        Assert.Equal(1, mesh.Service("orders").Launches);

        // Once the stream is over, the idle timeout applies again.
        var stop = await mesh.WaitForChangeAsync("orders", c => c.To == ServiceState.Stopped, "stopped when idle after the stream");
        Assert.Contains("idle", stop.Detail);
    }
}
