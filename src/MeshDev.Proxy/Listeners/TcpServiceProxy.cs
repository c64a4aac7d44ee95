using System.IO.Pipelines;
using System.Net.Sockets;
using MeshDev.Activation;
using MeshDev.Calls;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace MeshDev.Proxy.Listeners;

/// <summary>
/// The mesh port of a <c>protocol: tcp</c> service (a database, a cache): the first connection launches the service,
/// waits until it is ready, then pipes bytes both ways. Concurrent first connections share the launch; a failed
/// launch closes the connection at once. An open connection holds a lease, so it counts as activity. Each connection is
/// one call in the call graph (counted when it opens, listed among the recent requests when it closes).
/// </summary>
public sealed partial class TcpServiceProxy(ServiceActivator activator, ILogger logger)
{
    public async Task HandleAsync(ConnectionContext connection)
    {
        var caller = connection.Features.Get<CallerConnection>();
        var started = caller?.BeginCall(activator.Service.Name) ?? 0;
        try
        {
            await ServeAsync(connection, caller).ConfigureAwait(false);
        }
        finally
        {
            caller?.EndCall(activator.Service.Name, "TCP", null, 0, started);
        }
    }

    private async Task ServeAsync(ConnectionContext connection, CallerConnection? caller)
    {
        ActivityLease lease;
        try
        {
            // The launch reason is made only when the service is not ready: nothing more per connection otherwise.
            lease = activator.TryAcquire(out var ready) ? ready : await activator.AcquireAsync(LaunchReason.CallFrom(caller), connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (ServiceUnavailableException ex)
        {
            LogLaunchFailed(logger, activator.Service.Name, connection.RemoteEndPoint?.ToString(), ex.Failure.Cause);
            connection.Abort(new ConnectionAbortedException(ex.Message));
            return;
        }
        catch (OperationCanceledException)
        {
            return; // the client went away while waiting; the launch goes on
        }

        using (lease)
        {
            using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await upstream.ConnectAsync(lease.Endpoint.Host, lease.Endpoint.Port, connection.ConnectionClosed).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                LogConnectFailed(logger, activator.Service.Name, lease.Endpoint.ToString(), ex.Message);
                activator.ReportUnreachable();
                connection.Abort(new ConnectionAbortedException(ex.Message));
                return;
            }

            await PipeAsync(connection, upstream).ConfigureAwait(false);
        }
    }

    private static async Task PipeAsync(ConnectionContext connection, Socket upstream)
    {
        await using var stream = new NetworkStream(upstream, ownsSocket: false);
        var toUpstream = CopyToUpstreamAsync(connection.Transport.Input, stream, upstream);
        var toClient = CopyToClientAsync(stream, connection.Transport.Output);

        // Either side closing its sending half is passed on; the connection ends when both directions are done,
        // or at once when one of them fails (reset).
        var first = await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
        if (first.IsFaulted)
        {
            connection.Abort();
            upstream.Close(0);
        }

        await Task.WhenAll(Quietly(toUpstream), Quietly(toClient)).ConfigureAwait(false);
    }

    private static async Task CopyToUpstreamAsync(PipeReader client, NetworkStream stream, Socket upstream)
    {
        await client.CopyToAsync(stream).ConfigureAwait(false);
        upstream.Shutdown(SocketShutdown.Send);
    }

    private static async Task CopyToClientAsync(NetworkStream stream, PipeWriter client)
    {
        await stream.CopyToAsync(client).ConfigureAwait(false);
        await client.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or ConnectionResetException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: closed the connection from {Client}: the launch failed: {Cause}")]
    private static partial void LogLaunchFailed(ILogger logger, string service, string? client, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Service}: could not connect to {Endpoint}: {Error}")]
    private static partial void LogConnectFailed(ILogger logger, string service, string endpoint, string error);
}
