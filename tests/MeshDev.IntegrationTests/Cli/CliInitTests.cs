using System.Text;
using System.Text.RegularExpressions;
using Grpc.Core;
using Grpc.Net.Client;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.Cli;

/// <summary>
/// <c>meshdev init</c> as a new user runs it: on a solution made with dotnet new (web, grpc, classlib), then
/// <c>meshdev profiles</c> and <c>meshdev up</c> on what it wrote, and real calls through the mesh to both generated projects.
/// </summary>
public sealed class CliInitTests
{
    [Fact]
    public async Task Init_on_a_generated_solution_writes_a_manifest_that_up_runs_and_calls_reach_its_projects()
    {
        await using var cli = new MeshdevCli();
        var ports = new ManifestBuilder(cli.Tag);
        int webPort = ports.NewPort(), greeterPort = ports.NewPort(), webMeshPort = ports.NewPort(), greeterMeshPort = ports.NewPort();
        await GeneratedSolution.CreateAsync(cli.Directory, webPort, greeterPort);
        var manifestPath = Path.Combine(cli.Directory, "meshdev.yaml");
        File.WriteAllText(Path.Combine(cli.Directory, "compose.yaml"), "services:\n  db:\n    image: postgres:16\n");

        var init = await cli.RunOkAsync("init", "App.slnx");

        Assert.Equal("", init.Stderr);
        var lines = init.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("web: Web/Web.csproj", lines);
        Assert.Contains($"  port {webPort} from profile 'http' of Web/Properties/launchSettings.json", lines);
        Assert.Contains("  calls greeter (services:greeter in Web/appsettings.json)", lines);
        Assert.Contains("  routes.grpc greet.Greeter from Greeter/Protos/greet.proto", lines);
        Assert.Contains("skipped Lib/Lib.csproj: a class library (no Web SDK, no OutputType Exe)", lines);
        Assert.Equal("wrote meshdev.yaml: 2 services from App.slnx, valid; run meshdev up", lines[^2]);

        // The compose file beside the solution is offered with a command that runs as printed.
        var offer = Regex.Match(lines[^1], "^compose.yaml is there too: meshdev (import compose compose.yaml -o meshdev.compose.yaml) makes");
        Assert.True(offer.Success, lines[^1]);
        await cli.RunOkAsync(offer.Groups[1].Value.Split(' '));
        Assert.Contains("  db:\n    runtime: docker\n    image: postgres:16\n", File.ReadAllText(Path.Combine(cli.Directory, "meshdev.compose.yaml")), StringComparison.Ordinal);
        var written = File.ReadAllText(manifestPath);
        Assert.Contains($"  web:\n    project: Web/Web.csproj\n    port: {webPort}\n", written, StringComparison.Ordinal);

        var again = await cli.RunAsync("init", "App.slnx");

        Assert.True(again.ExitCode == 2, again.ToString());
        Assert.Equal("meshdev: meshdev.yaml already exists; pass --force to overwrite it (or -o to write another file)\n", again.Stderr);
        Assert.Equal(written, File.ReadAllText(manifestPath));

        // Every service has its fixed port, so IDE profiles can be written at once.
        var profiles = await cli.RunOkAsync("profiles");
        Assert.Equal("", profiles.Stderr);
        Assert.Contains("web: run the service from your IDE with the 'web (mesh)' profile; the mesh adopts it on its next call", profiles.Stdout, StringComparison.Ordinal);
        Assert.Contains("greeter: run the service from your IDE with the 'greeter (mesh)' profile; the mesh adopts it on its next call", profiles.Stdout, StringComparison.Ordinal);

        // Only what a parallel test needs of its own is added: the mesh's ports (the defaults would collide between tests).
        cli.WriteManifest($"mesh:\n  http: {ports.SharedPort}\n  xds: {ports.XdsPort}\n" + written
            .Replace("  web:\n", $"  web:\n    meshPort: {webMeshPort}\n", StringComparison.Ordinal)
            .Replace("  greeter:\n", $"  greeter:\n    meshPort: {greeterMeshPort}\n", StringComparison.Ordinal));
        await cli.RunOkAsync("up", "--detach");

        // The first call waits for the project's build (and greeter's restore), which the mesh does on first use.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };
        Assert.Equal("Hello World!", await http.GetStringAsync($"http://127.0.0.1:{webMeshPort}/"));
        var web = MeshdevCli.ServiceIn(await cli.StatusAsync(), "web");
        Assert.Equal("ready", web.GetProperty("state").GetString());
        Assert.EndsWith($":{webPort}", web.GetProperty("endpoint").GetString(), StringComparison.Ordinal);

        // greeter through the shared port, routed by the gRPC service name init read from greet.proto.
        Assert.Equal("Hello mesh", await SayHelloAsync(ports.SharedPort, "mesh"));

        await cli.RunOkAsync("down");
    }

    /// <summary>greet.Greeter/SayHello with the messages encoded by hand (HelloRequest and HelloReply are one string field 1 each).</summary>
    private static async Task<string> SayHelloAsync(int port, string name)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { UseProxy = false } });
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var sayHello = new Method<byte[], byte[]>(MethodType.Unary, "greet.Greeter", "SayHello", bytes, bytes);
        var request = new byte[] { 0x0A, (byte)name.Length }.Concat(Encoding.UTF8.GetBytes(name)).ToArray();
        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(sayHello, null, new CallOptions(deadline: DateTime.UtcNow.AddMinutes(5)), request);
        Assert.Equal(0x0A, reply[0]);
        return Encoding.UTF8.GetString(reply, 2, reply[1]);
    }
}
