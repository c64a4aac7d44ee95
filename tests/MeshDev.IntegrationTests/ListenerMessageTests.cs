using System.Diagnostics;
using System.Globalization;
using System.Net;
using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests;

/// <summary>
/// A newcomer's two port mistakes, through a real mesh and real python3 programs: a service that ignores PORT and
/// serves on a port of its own, and a fixed port held by a silent listener. Callers get a 503 saying what to change,
/// within seconds, not after the start timeout or never.
/// </summary>
public sealed class ListenerMessageTests : IDisposable
{
    // Serves HTTP on argv[1], whatever PORT says.
    private const string OwnPortScript = """
        import http.server, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'ok')
        print('serving on my own port', flush=True)
        http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
        """;

    // Accepts and never says a word: what `ncat -lk PORT` does.
    private const string SilentScript = """
        import socket, sys
        s = socket.socket()
        s.bind(('127.0.0.1', int(sys.argv[1])))
        s.listen(16)
        print('listening', flush=True)
        held = []
        while True:
            held.append(s.accept()[0])
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-listeners-").FullName;

    [Fact]
    public async Task A_service_that_ignores_PORT_gets_503_naming_the_port_it_listens_on_and_the_fix()
    {
        var ownPort = TestPorts.Free();
        var script = Write("own_port.py", OwnPortScript);
        // Under a shell, as many services run: the listener is a child of the service's process, not the process itself.
        var wrapper = Write("run.sh", $"python3 '{script}' {Text(ownPort)}; true\n");
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", command: "/bin/sh", ready: "{ tcp: true }",
            extra: [$"args: [{Quote(wrapper)}]", "startTimeout: 60s"]));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("orders"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Matches($@"orders listens on 127\.0\.0\.1:{ownPort}, not on PORT=\d+: use \$\{{PORT\}} in args or set port: {ownPort}$", problem.Detail);
        Assert.Contains(problem.Logs, line => line.StartsWith($"meshdev: orders listens on 127.0.0.1:{ownPort}, not on PORT=", StringComparison.Ordinal));
        Assert.Equal(ServiceState.Failed, mesh.Service("orders").State);
        var leftovers = await TaggedProcesses.WaitUntilNoneAsync(mesh.Tag);
        Assert.True(leftovers.Count == 0, $"still running: {string.Join(", ", leftovers)}");
    }

    [Fact]
    public async Task A_fixed_port_held_by_a_silent_listener_gets_503_naming_its_pid_and_command_line()
    {
        var script = Write("silent.py", SilentScript);
        var port = TestPorts.Free();
        using var holder = Process.Start(new ProcessStartInfo("python3", [script, Text(port)]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("listening", await holder.StandardOutput.ReadLineAsync().WaitAsync(Eventually.Deadline));
            await using var mesh = await TestMesh.StartAsync(m => m.Service("orders", port: port));

            var problem = await Problem.GetAsync(mesh.Http, mesh.Url("orders"));

            Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
            Assert.Contains($"port {port} is held by pid {holder.Id} (", problem.Detail);
            Assert.EndsWith($"silent.py {port}), which did not answer as an HTTP service within 3 s: stop it or change 'port:'", problem.Detail);
            Assert.Equal(0, mesh.Service("orders").Launches);
            Assert.False(holder.HasExited, "the mesh stopped a program it did not launch");
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string Quote(string value) => $"\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
