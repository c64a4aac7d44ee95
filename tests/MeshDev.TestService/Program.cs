// MeshDev.TestService — a configurable HTTP service that integration tests launch as a real child process.
//
// Environment:
//   PORT                 required (unless --port is given): listens on http://127.0.0.1:{PORT} (0 = any free port;
//                        the "listening on" line and /whoami then tell the real one). ASPNETCORE_URLS is ignored.
//   MESHDEV_TEST_NAME    the name it answers with (default "testservice").
//   MESHDEV_TEST_LISTEN  the address to listen on (default 127.0.0.1; 0.0.0.0 in a stand-in pod, so other pods reach it).
//
// Endpoints:
//   GET  /                          -> text "hello from {NAME}"
//   GET  /healthz                   -> 200 "ok" once ready, else 503 (always 503 with --never-ready)
//   GET  /whoami                    -> JSON { name, pid, port, childPid } (childPid: the --spawn-child process, or null)
//   GET  /env/{key}                 -> the value of environment variable {key}, or 404
//   GET  /headers                   -> JSON object of the request's headers as received (name -> values joined by ", ")
//   GET  /call?url=URL              -> GETs URL (HttpClient, no proxy) and answers with its status, content type and body;
//                                      502 with the error when the call itself fails (for transitive calls through the mesh)
//   GET  /callservice/{name}?path=P -> like /call, to path P (default /) of service {name} at its discovery address
//                                      (services__{name}__http__0, set by the mesh); 404 when that variable is not set
//   GET  /slow?ms=N                 -> waits N ms (default 1000), then "done"
//   GET  /stream?count=N&intervalMs=M -> chunked text/plain, one line "line {i}" every M ms (defaults 10 and 100),
//                                      flushed after each line
//   GET  /exit?code=N               -> answers "exiting with code N", then the process exits with code N (default 1)
//                                      about 100 ms after the response has been sent (crash tests)
//   POST /echo                      -> the request body, with the request's content type
//   GET  /events?count=N&intervalMs=M -> server-sent events (text/event-stream), "data: event {i}" every M ms
//   GET  /ws                        -> WebSocket that echoes every text message back until the client closes
//   GET  /wscall/{name}?text=T      -> opens a WebSocket to /ws of service {name} at its discovery address, sends T
//                                      (default "ping") and answers "echo: {what came back}"
//
// Flags:
//   --port N             listen on N (overrides PORT; handy with the manifest's ${PORT} substitution in args)
//   --exit-at-once N     print a couple of lines to stdout and stderr ("fatal: config missing"), then exit with code N
//                        before listening (PORT not needed)
//   --never-ready        listen, but GET /healthz always answers 503
//   --ready-delay-ms N   listen at once, but answer 503 on GET /healthz for the first N ms
//   --start-delay-ms N   sleep N ms before listening (slow start)
//   --ignore-sigterm     ignore SIGTERM (prints "SIGTERM received, ignored"); only SIGKILL stops it
//   --spawn-child        start a child process `sleep 600` at startup (prints "spawned child pid N"), to test tree killing
//   --h2c                speak HTTP/2 only, without TLS (prior knowledge), instead of HTTP/1.1
//   --systemd            take the listening socket the mesh passes at fd 3 (socket activation: Kestrel's UseSystemd)
//                        and send READY=1 to NOTIFY_SOCKET once started (SystemdNotifier), as the README shows
//
// Output: one stdout line "listening on http://127.0.0.1:{port}" once it accepts connections, "stopping" on a graceful
// stop; framework logging is at Warning. Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 2 for bad arguments or a
// missing PORT, 1 when it cannot listen (e.g. the port is taken), else what --exit-at-once or /exit asked for.

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using MeshDev.TestServices;
using Microsoft.AspNetCore.Server.Kestrel.Core;

if (!TestServiceOptions.TryParse(args, out var options, out var argumentError))
{
    Console.Error.WriteLine($"fatal: {argumentError}");
    return 2;
}

var name = Environment.GetEnvironmentVariable("MESHDEV_TEST_NAME") is { Length: > 0 } n ? n : "testservice";

if (options.ExitAtOnce is { } exitCode)
{
    Console.WriteLine($"{name} starting (pid {Environment.ProcessId})");
    Console.Error.WriteLine("fatal: config missing");
    Console.Out.WriteLine("giving up");
    Console.Error.WriteLine($"exiting with code {exitCode}");
    return exitCode;
}

if (TestServiceHost.ResolvePort(options.Port) is not { } port)
{
    return 2;
}

// Ignore SIGTERM: our handler cancels the default action (exit), and the host's console lifetime, which would
// otherwise register its own SIGTERM handler that stops the application, is replaced below.
using var sigterm = options.IgnoreSigterm
    ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
    {
        context.Cancel = true;
        Console.WriteLine("SIGTERM received, ignored");
    })
    : null;

Process? child = null;
if (options.SpawnChild)
{
    child = Process.Start(new ProcessStartInfo("sleep", "600") { UseShellExecute = false })
        ?? throw new InvalidOperationException("could not start `sleep 600`");
    Console.WriteLine($"spawned child pid {child.Id}");
}

TestServiceHost.DelayStart(options.StartDelayMs);

var builder = TestServiceHost.CreateBuilder(port);
if (options.Systemd)
{
    // Takes fd 3 only when LISTEN_PID is this process: the addresses of UseUrls are then overridden.
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.UseSystemd());
}

if (options.H2c)
{
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));
}

builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, TestServiceJson.Default));
if (options.IgnoreSigterm)
{
    builder.Services.AddSingleton<IHostLifetime, SignalIgnoringLifetime>();
}

var app = builder.Build();
app.UseWebSockets();

var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
var boundPort = port;

app.Lifetime.ApplicationStarted.Register(() =>
{
    var url = app.Urls.FirstOrDefault() ?? $"http://127.0.0.1:{port}";
    if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
    {
        boundPort = uri.Port;
    }

    Console.WriteLine($"listening on {url}");
    if (options.Systemd)
    {
        // The host-level UseSystemd() would do this only under systemd itself (its parent process), never under the mesh.
        new Microsoft.Extensions.Hosting.Systemd.SystemdNotifier().Notify(Microsoft.Extensions.Hosting.Systemd.ServiceState.Ready);
    }

    if (options.NeverReady)
    {
        return;
    }

    if (options.ReadyDelayMs > 0)
    {
        _ = Task.Delay(options.ReadyDelayMs).ContinueWith(_ => ready.TrySetResult(), TaskScheduler.Default);
    }
    else
    {
        ready.TrySetResult();
    }
});

app.MapGet("/", () => $"hello from {name}");

app.MapGet("/healthz", () => ready.Task.IsCompleted
    ? Results.Text("ok")
    : Results.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable));

app.MapGet("/whoami", () => new WhoAmI(name, Environment.ProcessId, boundPort, child?.Id));

app.MapGet("/env/{key}", (string key) => Environment.GetEnvironmentVariable(key) is { } value
    ? Results.Text(value)
    : Results.Text($"environment variable {key} is not set", statusCode: StatusCodes.Status404NotFound));

app.MapGet("/headers", (HttpContext context) =>
    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase));

var httpClient = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
{
    Timeout = TimeSpan.FromMinutes(2),
};

app.MapGet("/call", async (string? url, CancellationToken cancellationToken) =>
{
    if (!Uri.TryCreate(url, UriKind.Absolute, out var target))
    {
        return Results.Text("query parameter url must be an absolute URL", statusCode: StatusCodes.Status400BadRequest);
    }

    try
    {
        using var response = await httpClient.GetAsync(target, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Results.Text(body, response.Content.Headers.ContentType?.ToString(), statusCode: (int)response.StatusCode);
    }
    catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
    {
        return Results.Text($"call to {target} failed: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
    }
});

app.MapGet("/callservice/{service}", async (string service, string? path, CancellationToken cancellationToken) =>
{
    if (Environment.GetEnvironmentVariable($"services__{service}__http__0") is not { Length: > 0 } address)
    {
        return Results.Text($"no discovery address for service '{service}' (services__{service}__http__0 is not set)", statusCode: StatusCodes.Status404NotFound);
    }

    var target = new Uri(new Uri(address), path ?? "/");
    try
    {
        using var response = await httpClient.GetAsync(target, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return Results.Text(body, response.Content.Headers.ContentType?.ToString(), statusCode: (int)response.StatusCode);
    }
    catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
    {
        return Results.Text($"call to {target} failed: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
    }
});

app.MapGet("/slow", async (int? ms, CancellationToken cancellationToken) =>
{
    await Task.Delay(Math.Max(0, ms ?? 1000), cancellationToken);
    return "done";
});

app.MapGet("/stream", async (HttpContext context, int? count, int? intervalMs) =>
{
    var lines = Math.Max(0, count ?? 10);
    var interval = Math.Max(0, intervalMs ?? 100);
    context.Response.ContentType = "text/plain; charset=utf-8";
    try
    {
        await context.Response.StartAsync(context.RequestAborted);
        for (var i = 1; i <= lines; i++)
        {
            await context.Response.WriteAsync($"line {i}\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (i < lines)
            {
                await Task.Delay(interval, context.RequestAborted);
            }
        }
    }
    catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
    {
        // The client went away mid-stream.
    }
});

app.MapGet("/events", async (HttpContext context, int? count, int? intervalMs) =>
{
    context.Response.ContentType = "text/event-stream";
    context.Response.Headers.CacheControl = "no-cache";
    try
    {
        await context.Response.StartAsync(context.RequestAborted);
        for (var i = 1; i <= Math.Max(0, count ?? 10); i++)
        {
            await context.Response.WriteAsync($"data: event {i}\n\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await Task.Delay(Math.Max(0, intervalMs ?? 100), context.RequestAborted);
        }
    }
    catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
    {
    }
});

app.Map("/ws", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var buffer = new byte[64 * 1024];
    while (true)
    {
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
        if (received.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
        {
            await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            return;
        }

        await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
    }
});

app.MapGet("/wscall/{service}", async (string service, string? text, CancellationToken cancellationToken) =>
{
    if (Environment.GetEnvironmentVariable($"services__{service}__http__0") is not { Length: > 0 } address)
    {
        return Results.Text($"services__{service}__http__0 is not set", statusCode: StatusCodes.Status404NotFound);
    }

    // A WebSocket client of the service's /ws, through whatever the discovery address leads to (the mesh, a pod's gateway).
    using var client = new System.Net.WebSockets.ClientWebSocket();
    var target = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal).TrimEnd('/') + "/ws");
    await client.ConnectAsync(target, cancellationToken);
    var message = System.Text.Encoding.UTF8.GetBytes(text ?? "ping");
    await client.SendAsync(message, System.Net.WebSockets.WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    var buffer = new byte[64 * 1024];
    var received = await client.ReceiveAsync(buffer, cancellationToken);
    await client.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
    return Results.Text("echo: " + System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
});

app.MapGet("/exit", (HttpContext context, int? code) =>
{
    var exitWith = code ?? 1;
    context.Response.OnCompleted(() =>
    {
        _ = Task.Run(async () =>
        {
            await Task.Delay(100);
            Console.WriteLine($"exiting with code {exitWith}");
            Environment.Exit(exitWith);
        });
        return Task.CompletedTask;
    });
    return $"exiting with code {exitWith}";
});

app.MapPost("/echo", async (HttpContext context) =>
{
    context.Response.ContentType = context.Request.ContentType ?? "application/octet-stream";
    await context.Request.Body.CopyToAsync(context.Response.Body, context.RequestAborted);
});

return await TestServiceHost.RunAsync(app, port);

/// <summary>The command-line flags (see the top of the file).</summary>
internal sealed record TestServiceOptions
{
    public int? Port { get; private init; }
    public int? ExitAtOnce { get; private init; }
    public bool NeverReady { get; private init; }
    public int ReadyDelayMs { get; private init; }
    public int StartDelayMs { get; private init; }
    public bool IgnoreSigterm { get; private init; }
    public bool SpawnChild { get; private init; }
    public bool H2c { get; private init; }
    public bool Systemd { get; private init; }

    public static bool TryParse(string[] args, out TestServiceOptions options, out string error)
    {
        options = new TestServiceOptions();
        error = "";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "--never-ready": options = options with { NeverReady = true }; break;
                case "--ignore-sigterm": options = options with { IgnoreSigterm = true }; break;
                case "--spawn-child": options = options with { SpawnChild = true }; break;
                case "--h2c": options = options with { H2c = true }; break;
                case "--systemd": options = options with { Systemd = true }; break;
                case "--port" or "--exit-at-once" or "--ready-delay-ms" or "--start-delay-ms":
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
                        "--ready-delay-ms" => options with { ReadyDelayMs = value },
                        _ => options with { StartDelayMs = value },
                    };
                    break;
                default:
                    error = $"unknown argument '{arg}' (see the top of MeshDev.TestService/Program.cs)";
                    return false;
            }
        }

        return true;
    }
}

/// <summary>A host lifetime that registers no signal handlers, so that --ignore-sigterm really ignores SIGTERM.</summary>
internal sealed class SignalIgnoringLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

internal sealed record WhoAmI(string Name, int Pid, int Port, int? ChildPid);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(WhoAmI))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TestServiceJson : JsonSerializerContext;
