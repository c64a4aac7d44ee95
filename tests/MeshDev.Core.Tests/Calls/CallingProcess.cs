using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MeshDev.Runtime.Tests;

namespace MeshDev.Calls.Tests;

/// <summary>
/// A real child process (bash, or python3 for a listener of its own) that opens a TCP connection to a listener of the
/// test and holds it, so the resolver has a real socket of a real process to find. Killed, with its children, on dispose.
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
        var connect = $"exec 3<>/dev/tcp/127.0.0.1/{port}; sleep 120";
        // '; true' keeps the outer bash from exec'ing the inner one in its place: the inner one must be its child.
        return StartAsync(listener, "/bin/bash", "-c", nested ? $"bash -c '{connect}'; true" : connect);
    }

    /// <summary>python3 listens on a port of its own (printed first), then connects to <paramref name="listener"/>: a service run from the IDE.</summary>
    public static async Task<(CallingProcess Process, int OwnPort)> ListeningPythonAsync(TcpListener listener)
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var script = "import socket, sys, time\n" +
                     "own = socket.socket(); own.bind(('127.0.0.1', 0)); own.listen()\n" +
                     "print(own.getsockname()[1], flush=True)\n" +
                     $"c = socket.create_connection(('127.0.0.1', {port}))\n" +
                     "time.sleep(120)\n";
        var calling = await StartAsync(listener, "python3", "-c", script);
        var line = await calling._process.StandardOutput.ReadLineAsync().WaitAsync(Wait.Long);
        return (calling, int.Parse(line!, CultureInfo.InvariantCulture));
    }

    private static async Task<CallingProcess> StartAsync(TcpListener listener, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        try
        {
            var accepted = await listener.AcceptTcpClientAsync().WaitAsync(Wait.Long);
            return new CallingProcess(process, accepted);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
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
