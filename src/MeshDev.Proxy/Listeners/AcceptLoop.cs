using System.Net.Sockets;

namespace MeshDev.Proxy.Listeners;

/// <summary>The accept loop of the mesh's own listening sockets (TCP services, gRPC relays).</summary>
internal static class AcceptLoop
{
    /// <summary>
    /// Accepts until <paramref name="stopping"/> or the listener is closed, handing each connection (Nagle off) to
    /// <paramref name="accepted"/>; a failed accept (out of descriptors and the like) loses that connection only.
    /// </summary>
    public static async Task RunAsync(Socket listener, Action<Socket> accepted, Action<string> failed, CancellationToken stopping)
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || ex is SocketException && stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                failed(ex.Message);
                continue;
            }

            client.NoDelay = true;
            accepted(client);
        }
    }
}
