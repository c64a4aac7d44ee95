// MeshDev.ContainerService — a tiny HTTP service that Docker tests run inside a FROM-scratch image, published with
// NativeAOT (no .NET runtime in the image: the binary and the shared libraries it links against).
//
// Environment:
//   PORT             listens on http://127.0.0.1:{PORT} (default 8080); containers use host networking, so this is a
//                    port on the machine's own loopback.
//   MESHDEV_SERVICE  the name it answers with (default "container-service"); the mesh sets it for launched services.
//   EXIT_AT_ONCE=1   print one line to stderr and exit with code 3 before listening (launch-failure tests).
//   START_DELAY_MS   sleep this long before listening (slow-start tests).
//
// Endpoints:
//   GET /            -> "{name}: hello from pid {pid}"
//   GET /healthz     -> 200 "ok"
//   GET /env/{name}  -> the value of that environment variable, or 404
//   GET /call?url=U  -> GETs U and answers "{name} -> {body}" (transitive launches through the mesh); 502 when it fails
//
// Output (stdout): "container-service listening on 127.0.0.1:{port}" once it accepts connections, then one line per
// request path. Plain text throughout, so nothing needs reflection-based JSON.

var name = Environment.GetEnvironmentVariable("MESHDEV_SERVICE") is { Length: > 0 } configured ? configured : "container-service";

if (Environment.GetEnvironmentVariable("EXIT_AT_ONCE") == "1")
{
    Console.Error.WriteLine("container-service: exiting at once as asked");
    return 3;
}

var port = 8080;
if (Environment.GetEnvironmentVariable("PORT") is { Length: > 0 } portText
    && (!int.TryParse(portText, out port) || port is < 1 or > 65535))
{
    Console.Error.WriteLine($"container-service: PORT must be a port number, not '{portText}'");
    return 2;
}

if (int.TryParse(Environment.GetEnvironmentVariable("START_DELAY_MS"), out var startDelayMs) && startDelayMs > 0)
{
    await Task.Delay(startDelayMs);
}

var builder = WebApplication.CreateSlimBuilder(args);
// UseUrls rather than ASPNETCORE_URLS: whatever the container's environment says, the port is the one PORT names.
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
// The framework's own logging would interleave with the lines tests read from the container logs.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddHttpClient();

var app = builder.Build();

app.Use(async (context, next) =>
{
    Console.WriteLine($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
    await next(context);
});

app.MapGet("/", () => $"{name}: hello from pid {Environment.ProcessId}");
app.MapGet("/healthz", () => "ok");
app.MapGet("/env/{variable}", (string variable) =>
    Environment.GetEnvironmentVariable(variable) is { } value ? Results.Text(value) : Results.NotFound());
app.MapGet("/call", async (string url, IHttpClientFactory clients, CancellationToken cancellationToken) =>
{
    try
    {
        var body = await clients.CreateClient().GetStringAsync(url, cancellationToken);
        return Results.Text($"{name} -> {body}");
    }
    catch (HttpRequestException e)
    {
        return Results.Text($"{name} -> {url} failed: {e.Message}", statusCode: StatusCodes.Status502BadGateway);
    }
});

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"container-service listening on 127.0.0.1:{port}"));

// The default console lifetime stops the host on SIGTERM, which is what `docker stop` sends to PID 1.
await app.RunAsync();
return 0;
