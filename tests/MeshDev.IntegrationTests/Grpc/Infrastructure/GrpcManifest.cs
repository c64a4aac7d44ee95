using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.GrpcTests.Infrastructure;

/// <summary>Services of the gRPC and TCP tests, added to a test's <see cref="ManifestBuilder"/>.</summary>
internal static class GrpcManifest
{
    /// <summary>The gRPC service name the GrpcTestService serves (routes.grpc).</summary>
    public const string EchoService = "meshdev.test.v1.Echo";

    /// <summary>
    /// A service that runs the GrpcTestService (<c>dotnet MeshDev.GrpcTestService.dll flags…</c>, h2c on <c>PORT</c>),
    /// ready when its gRPC health service answers SERVING, and routed by <see cref="EchoService"/> on the shared port.
    /// </summary>
    /// <param name="flags">Its flags: --start-delay-ms N, --exit-at-once N, --not-serving (see its Program.cs).</param>
    /// <param name="extra">More settings, each <c>key: value</c> (startTimeout…).</param>
    public static ManifestBuilder GrpcEcho(this ManifestBuilder manifest, string name, string[]? flags = null, params string[] extra) =>
        manifest.Service(
            name,
            command: "dotnet",
            ready: "{ grpc: true }",
            extra:
            [
                $"args: [{string.Join(", ", new[] { GrpcTestPaths.GrpcTestServiceDll }.Concat(flags ?? []).Select(Quote))}]",
                $"routes: {{ grpc: [{EchoService}] }}",
                .. extra,
            ]);

    /// <summary>
    /// A <c>protocol: tcp</c> service that runs the TCP echo server (<c>python3 tcp_echo.py ${PORT}</c>), or, with
    /// <paramref name="exitAtOnce"/>, one whose process exits with that code at once.
    /// </summary>
    public static ManifestBuilder TcpEcho(this ManifestBuilder manifest, string name, int? exitAtOnce = null, params string[] extra)
    {
        string[] args = exitAtOnce is { } code
            ? [GrpcTestPaths.TcpEchoScript, "--exit-at-once", code.ToString(System.Globalization.CultureInfo.InvariantCulture)]
            : [GrpcTestPaths.TcpEchoScript, "${PORT}"];
        return manifest.Service(
            name,
            command: "python3",
            ready: "{ tcp: true }",
            extra:
            [
                $"args: [{string.Join(", ", args.Select(Quote))}]",
                "protocol: tcp",
                .. extra,
            ]);
    }

    // A JSON string is a valid YAML double-quoted scalar.
    private static string Quote(string value) => JsonSerializer.Serialize(value);
}
