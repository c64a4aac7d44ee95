using MeshDev.Calls;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// Keeps <c>.meshdev/calls.json</c> up to date: every half minute when the graph changed, and once more when the mesh
/// stops — so a daemon that was killed loses at most the last half minute of what it learned.
/// </summary>
internal sealed class CallGraphPersistence(CallGraph graph, string path, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    private long _saved = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Save();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        Save();
    }

    private void Save()
    {
        var version = graph.Version;
        if (version == _saved)
        {
            return;
        }

        try
        {
            CallGraphStore.Save(path, graph.Snapshot(recent: 0));
            _saved = version;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The state directory went away (meshdev down removing it); the next save tries again.
        }
    }
}
