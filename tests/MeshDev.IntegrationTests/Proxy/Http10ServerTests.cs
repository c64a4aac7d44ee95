using MeshDev.Activation;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.Proxy;

/// <summary>
/// A server nobody here wrote behind the mesh, driven by a client nobody here wrote: python's <c>http.server</c>
/// answers <c>HTTP/1.0</c> without keep-alive and closes after every response, and listens with a backlog of 5;
/// <c>hey</c> (Go) keeps its connections to the mesh alive. Every request must succeed, warm and cold.
/// </summary>
public sealed class Http10ServerTests : IDisposable
{
    private const string Body = "hello from python\n";
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("meshdev-http10-");

    public Http10ServerTests() => File.WriteAllText(Path.Combine(_files.FullName, "hello.txt"), Body);

    public void Dispose() => _files.Delete(recursive: true);

    [Fact]
    public async Task Warm_python_http_server_answers_all_2000_requests_of_16_concurrent_clients()
    {
        await using var mesh = await TestMesh.StartAsync(m => PythonHttpServer(m, "alpha"));
        Assert.Equal(Body, await mesh.GetStringAsync("alpha", "/hello.txt"));

        var hey = await HeyClient.RunAsync("-n", "2000", "-c", "16", "-host", "alpha", $"http://127.0.0.1:{mesh.SharedPort}/hello.txt");

        Assert.True(hey.Count(200) == 2000, $"expected 2000 × 200, hey saw: {hey.Output}");
        Assert.Equal("", hey.Errors);
        Assert.Equal(ServiceState.Ready, mesh.Service("alpha").State);
        Assert.Equal(1, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task Five_hundred_concurrent_first_calls_to_a_cold_python_http_server_all_succeed_from_one_launch()
    {
        await using var mesh = await TestMesh.StartAsync(m => PythonHttpServer(m, "alpha"));

        var hey = await HeyClient.RunAsync("-n", "500", "-c", "500", $"http://127.0.0.1:{mesh.MeshPort("alpha")}/hello.txt");

        Assert.True(hey.Count(200) == 500, $"expected 500 × 200, hey saw: {hey.Output}");
        Assert.Equal("", hey.Errors);
        Assert.Equal(1, mesh.Service("alpha").Launches);
    }

    [Fact]
    public async Task An_adopted_http10_server_stays_external_while_it_answers_under_load()
    {
        // The IDE-run case: the server already listens on the service's fixed port, so the mesh adopts it. Failures
        // that are not "nothing listens there" must not make the mesh give the instance up.
        var port = new ManifestBuilder("probe").NewPort();
        using var server = ForeignProcess.Start("python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", _files.FullName, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await server.WaitUntilListeningAsync(port);
        await using var mesh = await TestMesh.StartAsync(m => m.Service("alpha", command: "/bin/false", port: port, ready: "{ http: /hello.txt }", hosts: ["alpha"]));

        var hey = await HeyClient.RunAsync("-n", "1600", "-c", "16", $"http://127.0.0.1:{mesh.MeshPort("alpha")}/hello.txt");

        Assert.True(hey.Count(200) == 1600, $"expected 1600 × 200, hey saw: {hey.Output}");
        Assert.Equal(ServiceState.External, mesh.Service("alpha").State);
        Assert.DoesNotContain(mesh.Changes("alpha"), c => c.To == ServiceState.Stopped);
    }

    private void PythonHttpServer(ManifestBuilder manifest, string name) =>
        manifest.Service(name, command: "python3", ready: "{ http: /hello.txt }", hosts: [name],
            extra: [$"args: [\"-m\", \"http.server\", \"--bind\", \"127.0.0.1\", \"--directory\", \"{_files.FullName}\", \"${{PORT}}\"]"]);
}
