using System.Net.Sockets;

namespace MeshDev.IntegrationTests.Docker;

/// <summary>
/// A unix socket that passes every connection on to the real engine's, until disposed: then its connections are cut and
/// its socket file is gone, as when the engine stops. Lets a test stop "the engine" of one mesh without stopping the
/// engine every other test uses.
/// </summary>
internal sealed class EngineRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _engineSocket;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private readonly Task _accepting;

    private EngineRelay(string path, string engineSocket)
    {
        Path = path;
        _engineSocket = engineSocket;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen();
        _accepting = AcceptAsync();
    }

    /// <summary>The relay's socket file.</summary>
    public string Path { get; }

    /// <summary>The relay's address in <c>DOCKER_HOST</c> form.</summary>
    public string Endpoint => $"unix://{Path}";

    public static EngineRelay Start()
    {
        var engine = MeshDev.Testing.Docker.DockerEngine.Address;
        Assert.True(engine.Scheme == "unix", $"the relay passes connections to a unix socket only; the tests' engine is {engine}");
        return new EngineRelay(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"meshdev-relay-{Guid.NewGuid():N}.sock"), engine.AbsolutePath);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return; // disposed
            }

            var engine = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            lock (_gate)
            {
                _open.Add(client);
                _open.Add(engine);
            }

            _ = RelayAsync(client, engine);
        }
    }

    private async Task RelayAsync(Socket client, Socket engine)
    {
        try
        {
            await engine.ConnectAsync(new UnixDomainSocketEndPoint(_engineSocket));
            await using var fromClient = new NetworkStream(client, ownsSocket: false);
            await using var toEngine = new NetworkStream(engine, ownsSocket: false);
            await Task.WhenAny(fromClient.CopyToAsync(toEngine), toEngine.CopyToAsync(fromClient));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // Cut by the dispose, or by either side.
        }
        finally
        {
            client.Dispose();
            engine.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        File.Delete(Path);
        await _accepting;
        lock (_gate)
        {
            foreach (var socket in _open)
            {
                socket.Dispose();
            }
        }
    }
}
