// Frontend: the entry of the shop's call chains: frontend -> orders -> inventory (HTTP all the way) and
// frontend -> pricing (gRPC) -> inventory (HTTP).
//
//   GET /         -> { service: "frontend", orders: <the answer of orders' GET /orders>,
//                      prices: [ { sku, cents, inStock } ] (pricing's GetPrice for each SKU of the shop) }
//   GET /shop     -> the same (the manifest routes the path prefix /shop of the mesh's shared port here)
//   GET /whoami   -> { service, pid }
//   GET /healthz  -> 200 "ok"                  (the mesh's readiness probe)
//
// It listens where ASPNETCORE_URLS says. Orders is found through the environment variable
// services__orders__http__0=http://127.0.0.1:{meshPort}, which MeshDev sets for every service it
// launches (.NET configuration reads it as "services:orders:http:0"). No DNS names are involved.
// Pricing is found the same way (services__pricing__http__0) and called with Grpc.Net.Client: the mesh port
// speaks h2c (HTTP/2 without TLS) next to HTTP/1.1, so the channel dials http://127.0.0.1:{meshPort}.

using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using Shop.Pricing.V1;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
ListenOnPortIfNoUrls(builder);

// A typed HttpClient whose base address is orders' mesh address (left unset when the variable is missing;
// OrdersClient then fails the request with a message naming the variable).
builder.Services.AddHttpClient<OrdersClient>((services, http) =>
    http.BaseAddress = ServiceAddress.Find(services.GetRequiredService<IConfiguration>(), "orders"));

builder.Services.AddSingleton<PricingClient>();

var app = builder.Build();

app.MapGet("/healthz", () => "ok");
app.MapGet("/whoami", () => new WhoAmI("frontend", Environment.ProcessId));
app.MapGet("/", Home);
app.MapGet("/shop", Home);

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"frontend listening on {string.Join(", ", app.Urls)}"));

app.Run();

static async Task<IResult> Home(OrdersClient orders, PricingClient pricing, CancellationToken cancellationToken)
{
    // Both calls at once: on a cold mesh, orders and pricing are launched side by side (and both need inventory).
    var ordersCall = orders.GetOrdersAsync(cancellationToken);
    var pricesCall = pricing.GetPricesAsync(HomePage.Skus, cancellationToken);
    try
    {
        await Task.WhenAll(ordersCall, pricesCall);
    }
    catch (UpstreamException)
    {
        // Reported below, naming the call that failed.
    }

    if (ordersCall.Exception?.InnerException is UpstreamException ordersFailed)
    {
        return Results.Problem(statusCode: ordersFailed.StatusCode, title: "frontend: call to orders failed", detail: ordersFailed.Message);
    }

    if (pricesCall.Exception?.InnerException is UpstreamException pricingFailed)
    {
        return Results.Problem(statusCode: pricingFailed.StatusCode, title: "frontend: call to pricing failed", detail: pricingFailed.Message);
    }

    return Results.Ok(new HomePage("frontend", await ordersCall, await pricesCall));
}

// When neither ASPNETCORE_URLS nor --urls is given but PORT is (the mesh's generic convention), listen there.
static void ListenOnPortIfNoUrls(WebApplicationBuilder builder)
{
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && int.TryParse(builder.Configuration["PORT"], out var port))
    {
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    }
}

/// <summary>Calls orders through its mesh address.</summary>
internal sealed class OrdersClient(HttpClient http, IConfiguration configuration)
{
    /// <summary>Returns orders' answer as it is, to embed it in the page.</summary>
    public async Task<JsonElement> GetOrdersAsync(CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            throw UpstreamException.NotConfigured(configuration, "orders");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync("orders", cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException(StatusCodes.Status502BadGateway, $"GET {http.BaseAddress}orders failed: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new UpstreamException(StatusCodes.Status502BadGateway, $"GET {http.BaseAddress}orders answered {(int)response.StatusCode}: {body}");
            }

            return await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        }
    }
}

/// <summary>Calls pricing (gRPC, <c>shop.pricing.v1.Pricing</c>) through its mesh address.</summary>
internal sealed class PricingClient : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly GrpcChannel? _channel;
    private readonly Pricing.PricingClient? _client;

    public PricingClient(IConfiguration configuration)
    {
        _configuration = configuration;
        if (ServiceAddress.Find(configuration, "pricing") is { } address)
        {
            // http:// = HTTP/2 without TLS ("prior knowledge"), which the mesh port speaks next to HTTP/1.1.
            // No proxy: gRPC needs HTTP/2 end to end, which a forward proxy (HTTP_PROXY) would not give.
            _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true },
            });
            _client = new Pricing.PricingClient(_channel);
        }
    }

    /// <summary>The price of each SKU, asked for all at once.</summary>
    public async Task<Price[]> GetPricesAsync(IEnumerable<string> skus, CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            throw UpstreamException.NotConfigured(_configuration, "pricing");
        }

        return await Task.WhenAll(skus.Select(async sku =>
        {
            try
            {
                var reply = await _client.GetPriceAsync(new PriceRequest { Sku = sku }, cancellationToken: cancellationToken);
                return new Price(reply.Sku, reply.Cents, reply.InStock);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new UpstreamException(StatusCodes.Status502BadGateway, $"{_channel!.Target} GetPrice({sku}) failed: {e.StatusCode} {e.Status.Detail}");
            }
        }));
    }

    public void Dispose() => _channel?.Dispose();
}

/// <summary>Service discovery the Aspire/.NET way: <c>services__{name}__http__0</c> in the environment.</summary>
internal static class ServiceAddress
{
    public static string EnvironmentVariable(string service) => $"services__{service}__http__0";

    public static Uri? Find(IConfiguration configuration, string service) =>
        Uri.TryCreate(configuration[$"services:{service}:http:0"], UriKind.Absolute, out var uri) ? uri : null;
}

/// <summary>A call to another service that failed; the message is shown to the caller.</summary>
internal sealed class UpstreamException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public static UpstreamException NotConfigured(IConfiguration configuration, string service)
    {
        var variable = ServiceAddress.EnvironmentVariable(service);
        var value = configuration[$"services:{service}:http:0"];
        var problem = string.IsNullOrEmpty(value)
            ? $"environment variable {variable} is missing"
            : $"environment variable {variable} is '{value}', not an absolute URL";
        return new(
            StatusCodes.Status500InternalServerError,
            $"Cannot call {service}: {problem}. MeshDev sets it for every service it launches; " +
            $"when running by hand, set it to the URL of {service} (e.g. {variable}=http://127.0.0.1:PORT).");
    }
}

internal sealed record HomePage(string Service, JsonElement Orders, Price[] Prices)
{
    /// <summary>The SKUs the shop shows prices for.</summary>
    public static readonly string[] Skus = ["apple", "pear", "plum"];
}

internal sealed record Price(string Sku, long Cents, bool InStock);

internal sealed record WhoAmI(string Service, int Pid);
