using System.Diagnostics;
using System.Globalization;
using MeshDev.Runtime;
using MeshDev.Runtime.Tests;
using MeshDev.Testing;

namespace MeshDev.Core.Tests.Activation;

/// <summary>
/// A real python3 program listening on a port the test picked: a silent one (accepts and never says a word, like
/// <c>ncat -lk PORT</c>) or a small HTTP server (answering after a delay, with a given status). Its scripts are files,
/// so /proc shows a readable command line (<c>python3 …/silent.py PORT</c>). Killed on dispose, also when stopped.
/// </summary>
internal sealed class PythonListener : IAsyncDisposable
{
    /// <summary>Accepts every connection and keeps it open without reading or writing.</summary>
    public const string SilentScript = """
        import socket, sys
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', int(sys.argv[1])))
        s.listen(16)
        print('listening', flush=True)
        held = []
        while True:
            connection, _ = s.accept()
            held.append(connection)
        """;

    /// <summary>Answers every GET with argv[3] as the status after argv[2] seconds; ignores PORT. (Not saved as http.py: that would shadow the http module.)</summary>
    public const string HttpScript = """
        import http.server, sys, time
        delay, status = float(sys.argv[2]), int(sys.argv[3])
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                time.sleep(delay)
                self.send_response(status)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'ok')
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler)
        print('listening', flush=True)
        server.serve_forever()
        """;

    /// <summary>
    /// The interpreter itself, not a launcher in front of it (pyenv's <c>python3</c> is a shell script that may run python
    /// as its child): the pid the test holds is then the listener's, so the test kills the listener and /proc names it.
    /// </summary>
    private static readonly Lazy<string> Interpreter = new(() =>
    {
        using var probe = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(sys.executable)"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        var path = probe.StandardOutput.ReadToEnd().Trim();
        probe.WaitForExit();
        return File.Exists(path) ? path : "python3";
    });

    private readonly Process _process;
    private readonly TempDirectory _directory;

    private PythonListener(Process process, TempDirectory directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Pid => _process.Id;

    public int Port { get; }

    /// <summary>Writes <paramref name="script"/> to a file (for the script-based command lines a service would use) and returns its path.</summary>
    public static string WriteScript(TempDirectory directory, string name, string script) => directory.WriteFile(name, script);

    public static Task<PythonListener> SilentAsync(IReadOnlyDictionary<string, string>? environment = null) =>
        StartAsync("silent.py", SilentScript, [], environment);

    public static Task<PythonListener> HttpAsync(double delaySeconds = 0, int status = 200) =>
        StartAsync("answering.py", HttpScript, [delaySeconds.ToString(CultureInfo.InvariantCulture), status.ToString(CultureInfo.InvariantCulture)], null);

    /// <summary>Any script that takes its port as argv[1] and prints "listening" once it listens.</summary>
    public static Task<PythonListener> ScriptAsync(string name, string script) => StartAsync(name, script, [], null);

    private static async Task<PythonListener> StartAsync(string name, string script, string[] arguments, IReadOnlyDictionary<string, string>? environment)
    {
        var directory = new TempDirectory();
        var port = TestPorts.Free();
        var start = new ProcessStartInfo(Interpreter.Value) { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add(WriteScript(directory, name, script));
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var listener = new PythonListener(process, directory, port);
        try
        {
            Assert.Equal("listening", await process.StandardOutput.ReadLineAsync().WaitAsync(Wait.Long));
            return listener;
        }
        catch
        {
            await listener.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGSTOP: what a debugger's stop or Ctrl+Z does; the kernel still accepts connections into its backlog.</summary>
    public async Task StopAsync()
    {
        const int SigStop = 19;
        Assert.True(UnixProcess.SignalProcess(Pid, SigStop));
        await Wait.UntilAsync(() => File.ReadAllText($"/proc/{Pid}/stat").Split(") ")[1].StartsWith('T'), "the listener is stopped");
    }

    public async ValueTask DisposeAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(Wait.Long);
        _process.Dispose();
        _directory.Dispose();
    }
}
