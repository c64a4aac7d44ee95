// Pricing: the shop's gRPC service (shop.pricing.v1.Pricing, Protos/pricing.proto), between frontend and inventory:
// frontend --HTTP--> (mesh) ... frontend --gRPC--> pricing --HTTP--> inventory.
//
//   shop.pricing.v1.Pricing/GetPrice  -> { sku, cents, in_stock }; asks inventory (GET /stock/{sku}) for in_stock.
//                                        NOT_FOUND for a SKU without a price, UNAVAILABLE when inventory cannot be asked
//   grpc.health.v1.Health/Check       -> SERVING (the mesh's readiness probe: ready: { grpc: true })
//
// It speaks HTTP/2 only, without TLS (h2c, "prior knowledge"), where ASPNETCORE_URLS says (MeshDev sets it when it
// launches the service); gRPC clients dial it as http://127.0.0.1:PORT. Inventory is found through the environment
// variable services__inventory__http__0=http://127.0.0.1:{meshPort}, which MeshDev sets for every service it launches
// (.NET configuration reads it as "services:inventory:http:0"). No DNS names are involved.

using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Shop.Pricing.V1;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
builder.Logging.AddFilter("Grpc", LogLevel.Warning);
ListenOnPortIfNoUrls(builder);

// h2c only: without TLS there is no ALPN to agree on HTTP/2, so the port speaks nothing else (gRPC needs HTTP/2).
builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(endpoint => endpoint.Protocols = HttpProtocols.Http2));

builder.Services.AddGrpc();

// The standard gRPC health service, SERVING for the server as a whole and for the pricing service.
var health = new HealthServiceImpl();
health.SetStatus("", HealthCheckResponse.Types.ServingStatus.Serving);
health.SetStatus(Pricing.Descriptor.FullName, HealthCheckResponse.Types.ServingStatus.Serving);
builder.Services.AddSingleton(health);

// A typed HttpClient whose base address is inventory's mesh address (left unset when the variable is missing;
// InventoryClient then fails the call with a message naming the variable).
builder.Services.AddHttpClient<InventoryClient>((services, http) =>
    http.BaseAddress = ServiceAddress.Find(services.GetRequiredService<IConfiguration>(), "inventory"));

var app = builder.Build();

app.MapGrpcService<PricingService>();
app.MapGrpcService<HealthServiceImpl>();

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"pricing listening on {string.Join(", ", app.Urls)} (h2c)"));

app.Run();

// When neither ASPNETCORE_URLS nor --urls is given but PORT is (the mesh's generic convention), listen there.
static void ListenOnPortIfNoUrls(WebApplicationBuilder builder)
{
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && int.TryParse(builder.Configuration["PORT"], out var port))
    {
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    }
}

/// <summary><c>shop.pricing.v1.Pricing</c>: list prices, with the stock from inventory.</summary>
internal sealed class PricingService(InventoryClient inventory) : Pricing.PricingBase
{
    // List prices in cents, keyed by SKU.
    private static readonly Dictionary<string, long> Prices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["apple"] = 45,
        ["pear"] = 60,
        ["plum"] = 30,
    };

    public override async Task<PriceReply> GetPrice(PriceRequest request, ServerCallContext context)
    {
        if (!Prices.TryGetValue(request.Sku, out var cents))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"pricing has no price for SKU '{request.Sku}'"));
        }

        var stock = await inventory.GetStockAsync(request.Sku, context.CancellationToken);
        return new PriceReply { Sku = request.Sku, Cents = cents, InStock = stock > 0 };
    }
}

/// <summary>Calls inventory through its mesh address; failures become gRPC statuses the caller sees.</summary>
internal sealed class InventoryClient(HttpClient http, IConfiguration configuration)
{
    /// <summary>Inventory's stock of <paramref name="sku"/>; 0 when inventory does not know the SKU.</summary>
    public async Task<int> GetStockAsync(string sku, CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            var variable = ServiceAddress.EnvironmentVariable("inventory");
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"Cannot call inventory: environment variable {variable} is missing or not an absolute URL " +
                $"('{configuration["services:inventory:http:0"]}'). MeshDev sets it for every service it launches; when " +
                $"running by hand, set it to the URL of inventory (e.g. {variable}=http://127.0.0.1:PORT)."));
        }

        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync($"stock/{Uri.EscapeDataString(sku)}", cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, $"GET {http.BaseAddress}stock/{sku} failed: {e.Message}"));
        }

        using (response)
        {
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return 0;
            }

            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new RpcException(new Status(StatusCode.Unavailable, $"GET {http.BaseAddress}stock/{sku} answered {(int)response.StatusCode}: {body}"));
            }

            var level = await response.Content.ReadFromJsonAsync<StockLevel>(cancellationToken)
                ?? throw new RpcException(new Status(StatusCode.Unavailable, $"GET {http.BaseAddress}stock/{sku} answered an empty body"));
            return level.Stock;
        }
    }
}

/// <summary>Service discovery the Aspire/.NET way: <c>services__{name}__http__0</c> in the environment.</summary>
internal static class ServiceAddress
{
    public static string EnvironmentVariable(string service) => $"services__{service}__http__0";

    public static Uri? Find(IConfiguration configuration, string service) =>
        Uri.TryCreate(configuration[$"services:{service}:http:0"], UriKind.Absolute, out var uri) ? uri : null;
}

internal sealed record StockLevel(string Service, string Sku, int Stock);
