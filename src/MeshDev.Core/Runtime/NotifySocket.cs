using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// The mesh's end of sd_notify(3) for one instance: a unix datagram socket in the abstract namespace, named to the
/// service in <c>NOTIFY_SOCKET</c>. <c>READY=1</c> makes the instance ready without any probe; <c>STATUS=…</c> goes to
/// the service's log. One socket per instance: whatever arrives on it is that instance's, so no sender check is needed.
/// </summary>
internal sealed class NotifySocket : IReadinessProbe, IDisposable
{
    // sd_notify messages are small ("READY=1", a STATUS line); a datagram longer than this is cut, not an error.
    private const int MaxMessage = 4096;

    private readonly Socket _socket;
    private readonly ServiceLog _log;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NotifySocket(Socket socket, string address, ServiceLog log)
    {
        _socket = socket;
        Address = address;
        _log = log;
        _ = ReceiveAsync();
    }

    /// <summary>The value of <c>NOTIFY_SOCKET</c>: '@' and a random name (abstract: no file to clean up, gone with the socket).</summary>
    public string Address { get; }

    /// <summary>Completes when the service sent <c>READY=1</c>.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Binds a fresh socket; its messages go to <paramref name="log"/>.</summary>
    public static NotifySocket Open(ServiceLog log)
    {
        var name = "meshdev-notify-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new LaunchException($"could not open the NOTIFY_SOCKET for the service: {e.Message}", e);
        }

        return new NotifySocket(socket, "@" + name, log);
    }

    /// <summary>
    /// True once <c>READY=1</c> came. Waits for it (not polling: it returns the moment it comes) for at most one
    /// <see cref="ReadinessProbe.AttemptTimeout"/>, so the launch still checks its deadline, or until the socket is closed
    /// because the instance exited.
    /// </summary>
    public async ValueTask<bool> ProbeAsync(ServiceEndpoint endpoint, CancellationToken cancellationToken)
    {
        if (!Ready.IsCompleted)
        {
            await Task.WhenAny(Ready, _closed.Task, Task.Delay(ReadinessProbe.AttemptTimeout, cancellationToken)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return Ready.IsCompleted;
    }

    public override string ToString() => "READY=1 on NOTIFY_SOCKET";

    public void Dispose()
    {
        _socket.Dispose();
        _closed.TrySetResult();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[MaxMessage];
        try
        {
            while (true)
            {
                var length = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                Handle(Encoding.UTF8.GetString(buffer, 0, length));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed when the instance is gone: nothing more can come.
        }
    }

    // One datagram holds newline-separated assignments (sd_notify(3)); the rest (WATCHDOG=1, MAINPID=…) means nothing here.
    private void Handle(string message)
    {
        foreach (var line in message.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line == "READY=1")
            {
                _ready.TrySetResult();
            }
            else if (line.StartsWith("STATUS=", StringComparison.Ordinal))
            {
                _log.Write($"meshdev: status: {line["STATUS=".Length..]}");
            }
        }
    }
}
