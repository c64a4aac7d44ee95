using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshDev.Runtime.Tests;

namespace MeshDev.Calls.Tests;

/// <summary>
/// A real child process (bash, or python3 for a listener of its own) that opens a TCP connection to a listener of the
/// test and holds it, so the resolver has a real socket of a real process to find. Killed, with its children, on dispose.
/// The child says a token of its own first, and only the connection that says it is taken: the listener is on a loopback
/// port any process of the machine can reach, and in a full test run something else does now and then (a readiness probe
/// or client aimed at a port it picked and released, which the listener then got). Taking whatever connected first
/// would hand the resolver a stranger's connection, rightly "external".
/// </summary>
internal sealed class CallingProcess : IAsyncDisposable
{
    private readonly Process _process;

    private CallingProcess(Process process, TcpClient accepted)
    {
        _process = process;
        Accepted = accepted;
    }

    public int Pid => _process.Id;

    /// <summary>The test's end of the connection: its remote end point is the child's socket.</summary>
    public TcpClient Accepted { get; }

    public (IPEndPoint Client, IPEndPoint Server) Connection =>
        ((IPEndPoint)Accepted.Client.RemoteEndPoint!, (IPEndPoint)Accepted.Client.LocalEndPoint!);

    /// <summary>bash connects (its /dev/tcp) and sleeps; with <paramref name="nested"/> an inner bash does, started by the outer one (<see cref="Pid"/>).</summary>
    public static Task<CallingProcess> BashAsync(TcpListener listener, bool nested = false)
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var token = NewToken();
        var connect = $"exec 3<>/dev/tcp/127.0.0.1/{port}; echo {token} >&3; sleep 120";
        // '; true' keeps the outer bash from exec'ing the inner one in its place: the inner one must be its child.
        return StartAsync(listener, token, "/bin/bash", "-c", nested ? $"bash -c '{connect}'; true" : connect);
    }

    /// <summary>python3 listens on a port of its own (printed first), then connects to <paramref name="listener"/>: a service run from the IDE.</summary>
    public static async Task<(CallingProcess Process, int OwnPort)> ListeningPythonAsync(TcpListener listener)
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var token = NewToken();
        var script = "import socket, sys, time\n" +
                     "own = socket.socket(); own.bind(('127.0.0.1', 0)); own.listen()\n" +
                     "print(own.getsockname()[1], flush=True)\n" +
                     $"c = socket.create_connection(('127.0.0.1', {port}))\n" +
                     $"c.sendall(b'{token}\\n')\n" +
                     "time.sleep(120)\n";
        var calling = await StartAsync(listener, token, "python3", "-c", script);
        var line = await calling._process.StandardOutput.ReadLineAsync().WaitAsync(Wait.Long);
        return (calling, int.Parse(line!, CultureInfo.InvariantCulture));
    }

    private static async Task<CallingProcess> StartAsync(TcpListener listener, string token, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(Wait.Long);
            var accepted = await AcceptSayingAsync(listener, token, timeout.Token);
            return new CallingProcess(process, accepted);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    private static string NewToken() => Guid.NewGuid().ToString("N");

    /// <summary>
    /// The first connection to <paramref name="listener"/> whose first line is <paramref name="token"/>. Every accepted
    /// connection is read at the same time, so one that says nothing (or never closes) cannot hold up the child's;
    /// the others are closed.
    /// </summary>
    private static async Task<TcpClient> AcceptSayingAsync(TcpListener listener, string token, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var candidates = new Dictionary<Task<bool>, TcpClient>();
        var accepting = listener.AcceptTcpClientAsync(stop.Token).AsTask();
        try
        {
            while (true)
            {
                var done = await Task.WhenAny([accepting, .. candidates.Keys]);
                if (done == accepting)
                {
                    var client = await accepting;
                    candidates.Add(SaysAsync(client, token, stop.Token), client);
                    accepting = listener.AcceptTcpClientAsync(stop.Token).AsTask();
                }
                else if (candidates.Remove((Task<bool>)done, out var client))
                {
                    if (await (Task<bool>)done)
                    {
                        return client;
                    }

                    client.Dispose();
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var stranger in candidates.Values)
            {
                stranger.Dispose();
            }

            // The pending accept ends with the cancellation; one that completed meanwhile is a stranger's too.
            if (await Task.WhenAny(accepting) is { IsCompletedSuccessfully: true })
            {
                (await accepting).Dispose();
            }
        }
    }

    /// <summary>True when the first line <paramref name="client"/> sends is <paramref name="token"/>; false when it is another, or the connection ends or fails.</summary>
    private static async Task<bool> SaysAsync(TcpClient client, string token, CancellationToken cancellationToken)
    {
        try
        {
            // Left open: the connection is the test's to hold. Nothing follows the token, so the reader keeps nothing back.
            using var reader = new StreamReader(client.GetStream(), leaveOpen: true);
            return await reader.ReadLineAsync(cancellationToken) == token;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Accepted.Dispose();
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(Wait.Long);
        }
        finally
        {
            _process.Dispose();
        }
    }
}
