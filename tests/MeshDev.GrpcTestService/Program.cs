// MeshDev.GrpcTestService — a gRPC service (meshdev.test.v1.Echo, Protos/echo.proto) that integration tests launch as a
// real child process behind a mesh, and call with independent clients (@grpc/grpc-js, Grpc.Net.Client).
//
// It speaks HTTP/2 only, without TLS (h2c, prior knowledge), on http://127.0.0.1:{PORT}.
//
// Environment:
//   PORT                 required (unless --port is given); 0 = any free port (the "listening on" line tells the real one).
//                        ASPNETCORE_URLS is ignored.
//
// Services:
//   meshdev.test.v1.Echo  Say (unary), Count (server streaming), Sum (client streaming), Chat (bidi), Hang + CancelledCount
//                         (cancellation seen by the backend); see Protos/echo.proto
//   grpc.health.v1.Health SERVING for "" and "meshdev.test.v1.Echo" (NOT_SERVING with --not-serving)
//
// Flags:
//   --port N             listen on N (overrides PORT)
//   --start-delay-ms N   sleep N ms before listening (slow start)
//   --exit-at-once N     print "fatal: grpc config missing" to stderr and exit with code N before listening
//   --not-serving        listen, but the health service answers NOT_SERVING
//
// Output: one stdout line "listening on http://127.0.0.1:{port}" once it accepts connections, "stopping" on a graceful
// stop. Exit codes: 0 after a graceful stop, 2 for bad arguments or a missing PORT, 1 when it cannot listen, else what
// --exit-at-once asked for.

using Grpc.Health.V1;
using Grpc.HealthCheck;
using MeshDev.GrpcTestService;
using MeshDev.TestServices;
using Microsoft.AspNetCore.Server.Kestrel.Core;

if (!GrpcTestServiceOptions.TryParse(args, out var options, out var argumentError))
{
    Console.Error.WriteLine($"fatal: {argumentError}");
    return 2;
}

if (options.ExitAtOnce is { } exitCode)
{
    Console.WriteLine($"grpc test service starting (pid {Environment.ProcessId})");
    Console.Error.WriteLine("fatal: grpc config missing");
    Console.Error.WriteLine($"exiting with code {exitCode}");
    return exitCode;
}

if (TestServiceHost.ResolvePort(options.Port) is not { } port)
{
    return 2;
}

TestServiceHost.DelayStart(options.StartDelayMs);

var builder = TestServiceHost.CreateBuilder(port);
builder.Logging.AddFilter("Grpc", LogLevel.Error);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));

builder.Services.AddGrpc(grpc =>
{
    // Large-message tests send and receive more than the 4 MiB default.
    grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
    grpc.MaxSendMessageSize = 16 * 1024 * 1024;
});
builder.Services.AddSingleton<HangCounter>();

var health = new HealthServiceImpl();
var servingStatus = options.NotServing ? HealthCheckResponse.Types.ServingStatus.NotServing : HealthCheckResponse.Types.ServingStatus.Serving;
health.SetStatus("", servingStatus);
health.SetStatus(EchoService.Name, servingStatus);
builder.Services.AddSingleton(health);

var app = builder.Build();

app.MapGrpcService<EchoService>();
app.MapGrpcService<HealthServiceImpl>();

app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"listening on {app.Urls.FirstOrDefault() ?? $"http://127.0.0.1:{port}"}"));

return await TestServiceHost.RunAsync(app, port);

/// <summary>The command-line flags (see the top of the file).</summary>
internal sealed record GrpcTestServiceOptions
{
    public int? Port { get; private init; }
    public int? ExitAtOnce { get; private init; }
    public int StartDelayMs { get; private init; }
    public bool NotServing { get; private init; }

    public static bool TryParse(string[] args, out GrpcTestServiceOptions options, out string error)
    {
        options = new GrpcTestServiceOptions();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--not-serving":
                    options = options with { NotServing = true };
                    break;
                case "--port" or "--exit-at-once" or "--start-delay-ms":
                    if (i + 1 >= args.Length || !int.TryParse(args[i + 1], out var value) || value < 0)
                    {
                        error = $"{arg} needs a non-negative number";
                        return false;
                    }

                    i++;
                    options = arg switch
                    {
                        "--port" => options with { Port = value },
                        "--exit-at-once" => options with { ExitAtOnce = value },
                        _ => options with { StartDelayMs = value },
                    };
                    break;
                default:
                    error = $"unknown argument '{arg}' (see the top of MeshDev.GrpcTestService/Program.cs)";
                    return false;
            }
        }

        return true;
    }
}
