using MeshDev.Proxy.Listeners;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MeshDev.Daemon.Hosting;

/// <summary>
/// Opens the mesh ports of <c>protocol: tcp</c> services with the other listeners (just before Kestrel's), and closes
/// them first at stop, resetting their open connections before the services behind them are stopped.
/// </summary>
internal sealed class TcpPorts(MeshListeners listeners, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly List<TcpServiceProxy> _open = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var proxy in listeners.TcpProxies(loggers.CreateLogger<TcpServiceProxy>()))
        {
            try
            {
                proxy.Start();
            }
            catch (IOException)
            {
                await proxy.DisposeAsync().ConfigureAwait(false);
                await DisposeAsync().ConfigureAwait(false);
                throw;
            }

            _open.Add(proxy);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _open)
        {
            await proxy.DisposeAsync().ConfigureAwait(false);
        }

        _open.Clear();
    }
}
