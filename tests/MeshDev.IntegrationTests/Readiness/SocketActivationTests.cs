using System.Diagnostics;
using System.Globalization;
using System.Net;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Readiness;

/// <summary>
/// <c>ready: { socket: true }</c>: the mesh listens on the service's port and the service takes the socket at fd 3
/// (Kestrel's UseSystemd, python's <c>socket.socket(fileno=3)</c>); calls made while it starts wait in the kernel's
/// accept queue. The socket reaches that service only, never one spawned at the same time.
/// </summary>
public sealed class SocketActivationTests
{
    internal static string Script => Path.Combine(AppContext.BaseDirectory, "Readiness", "handshake_service.py");

    /// <summary>The interpreter itself, not pyenv's launcher script in front of it: /proc then shows the service as the pid the mesh launched.</summary>
    internal static readonly Lazy<string> Python = new(() =>
    {
        using var probe = Process.Start(new ProcessStartInfo("python3", ["-c", "import sys; print(sys.executable)"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
        var path = probe.StandardOutput.ReadToEnd().Trim();
        probe.WaitForExit();
        return File.Exists(path) ? path : "python3";
    });

    internal static ManifestBuilder PythonService(ManifestBuilder manifest, string name, string ready, string mode, double delaySeconds = 0) =>
        manifest.Service(name, command: Python.Value, ready: ready,
            extra: [$"args: [\"{Script}\", {mode}, \"{delaySeconds.ToString(CultureInfo.InvariantCulture)}\"]"]);

    [Fact]
    public async Task A_python_service_serves_on_the_socket_it_was_handed_and_gets_a_fresh_one_after_a_stop()
    {
        await using var mesh = await TestMesh.StartAsync(m => PythonService(m, "py", "{ socket: true }", "socket", 0.3));

        var first = await mesh.GetStringAsync("py");

        // The script itself exits with code 4 unless LISTEN_PID is its own pid and LISTEN_FDS=1.
        Assert.Equal($"socket pid={mesh.Service("py").ProcessId} ready_sent=no fds=1", first);

        // The service held the only copy of the socket: stopped, the port is free, and the next launch binds it again.
        await mesh.Service("py").StopAsync();
        var second = await mesh.GetStringAsync("py");

        Assert.StartsWith("socket pid=", second, StringComparison.Ordinal);
        Assert.NotEqual(first, second);
        Assert.Equal(2, mesh.Service("py").Launches);
    }

    [Fact]
    public async Task Fifty_concurrent_cold_calls_to_a_kestrel_service_wait_in_the_accept_queue_and_all_succeed()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("kes", flags: ["--systemd", "--start-delay-ms", "300"], ready: "{ socket: true }"));

        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => mesh.Http.GetAsync(mesh.Url("kes"))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(await Task.WhenAll(answers.Select(a => a.Content.ReadAsStringAsync())), body => Assert.Equal("hello from kes", body));
        Assert.Equal(1, mesh.Service("kes").Launches);
        // Ready at the spawn: nothing was probed, the calls went to the accept queue before Kestrel listened.
        var ready = Assert.Single(mesh.Changes("kes"), c => c.To == MeshDev.Activation.ServiceState.Ready);
        Assert.Contains("ready in", ready.Detail, StringComparison.Ordinal);
        Array.ForEach(answers, a => a.Dispose());
    }

    [Fact]
    public async Task A_kestrel_service_with_UseSystemd_and_SystemdNotifier_takes_fd_3_and_its_pid_is_LISTEN_PID()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("kes", flags: ["--systemd"], ready: "{ socket: true, notify: true }"));

        var who = await mesh.WhoAmIAsync("kes");

        Assert.Equal(mesh.Service("kes").ProcessId, who.Pid);
        Assert.Equal(who.Pid.ToString(CultureInfo.InvariantCulture), await mesh.GetStringAsync("kes", "/env/LISTEN_PID"));
        Assert.Equal("kes", await mesh.GetStringAsync("kes", "/env/LISTEN_FDNAMES"));
        Assert.StartsWith("@meshdev-notify-", await mesh.GetStringAsync("kes", "/env/NOTIFY_SOCKET"), StringComparison.Ordinal);
        Assert.Equal($"socket:[{ListeningInode(mesh.Service("kes").Endpoint!.Value.Port)}]", FdTarget(who.Pid, 3));
    }

    [Fact]
    public async Task A_socket_activated_service_with_an_http_probe_that_exits_first_is_a_launch_failure()
    {
        await using var mesh = await TestMesh.StartAsync(m => PythonService(m, "py", "{ socket: true, http: / }", "silent"));

        var problem = await Problem.GetAsync(mesh.Http, mesh.Url("py"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, problem.Status);
        Assert.Contains("exited with code 3 before it was ready", problem.Detail, StringComparison.Ordinal);
        Assert.Contains(problem.Logs, line => line.Contains("giving up before READY=1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_listening_socket_reaches_none_of_the_services_launched_at_the_same_time()
    {
        string[] others = ["a", "b", "c", "d"];
        await using var mesh = await TestMesh.StartAsync(m =>
        {
            PythonService(m, "sock", "{ socket: true }", "socket");
            foreach (var name in others)
            {
                m.Service(name, command: Python.Value, ready: "{ http: / }", extra: ["args: [\"-m\", \"http.server\", \"--bind\", \"127.0.0.1\", \"${PORT}\"]"]);
            }
        });

        await Task.WhenAll(others.Append("sock").Select(name => mesh.GetStringAsync(name)));

        var socket = $"socket:[{ListeningInode(mesh.Service("sock").Endpoint!.Value.Port)}]";
        Assert.Equal(socket, FdTarget(mesh.Service("sock").ProcessId!.Value, 3));
        foreach (var name in others)
        {
            var pid = mesh.Service(name).ProcessId!.Value;
            var targets = Directory.GetFiles($"/proc/{pid}/fd").Select(fd => new FileInfo(fd).LinkTarget).ToList();
            Assert.DoesNotContain(socket, targets);
        }
    }

    /// <summary>The inode of the socket listening on 127.0.0.1:<paramref name="port"/> (/proc/net/tcp, state 0A).</summary>
    private static string ListeningInode(int port)
    {
        var local = $"0100007F:{port:X4}";
        var line = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Single(f => f[1] == local && f[3] == "0A");
        return line[9];
    }

    private static string? FdTarget(int pid, int fd) => new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget;
}
