// Orders: the middle of the shop's call chain (frontend -> orders -> inventory).
//
//   GET /orders   -> { service, orders: [ { id, sku, quantity, stock, available } ] }
//                    asks inventory (GET /stock/{sku}) for the stock of each order's SKU
//   GET /whoami   -> { service, pid }
//   GET /healthz  -> 200 "ok"                  (the mesh's readiness probe)
//
// It listens where ASPNETCORE_URLS says. Inventory is found through the environment variable
// services__inventory__http__0=http://127.0.0.1:{meshPort}, which MeshDev sets for every service it
// launches (.NET configuration reads it as "services:inventory:http:0"). No DNS names are involved.

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
ListenOnPortIfNoUrls(builder);

// A typed HttpClient whose base address is inventory's mesh address (left unset when the variable is missing;
// InventoryClient then fails the request with a message naming the variable).
builder.Services.AddHttpClient<InventoryClient>((services, http) =>
    http.BaseAddress = ServiceAddress.Find(services.GetRequiredService<IConfiguration>(), "inventory"));

var app = builder.Build();

// The orders this demo shop knows about.
Order[] orders =
[
    new(1001, "apple", 3),
    new(1002, "pear", 1),
];

app.MapGet("/healthz", () => "ok");
app.MapGet("/whoami", () => new WhoAmI("orders", Environment.ProcessId));

app.MapGet("/orders", async (InventoryClient inventory, CancellationToken cancellationToken) =>
{
    try
    {
        var withStock = await Task.WhenAll(orders.Select(async order =>
        {
            var level = await inventory.GetStockAsync(order.Sku, cancellationToken);
            return new OrderWithStock(order.Id, order.Sku, order.Quantity, level.Stock, level.Stock >= order.Quantity);
        }));
        return Results.Ok(new OrdersPage("orders", withStock));
    }
    catch (UpstreamException e)
    {
        return Results.Problem(statusCode: e.StatusCode, title: "orders: call to inventory failed", detail: e.Message);
    }
});

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"orders listening on {string.Join(", ", app.Urls)}"));

app.Run();

// When neither ASPNETCORE_URLS nor --urls is given but PORT is (the mesh's generic convention), listen there.
static void ListenOnPortIfNoUrls(WebApplicationBuilder builder)
{
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && int.TryParse(builder.Configuration["PORT"], out var port))
    {
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    }
}

/// <summary>Calls inventory through its mesh address.</summary>
internal sealed class InventoryClient(HttpClient http, IConfiguration configuration)
{
    public async Task<StockLevel> GetStockAsync(string sku, CancellationToken cancellationToken)
    {
        if (http.BaseAddress is null)
        {
            throw UpstreamException.NotConfigured(configuration, "inventory");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync($"stock/{Uri.EscapeDataString(sku)}", cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException(StatusCodes.Status502BadGateway, $"GET {http.BaseAddress}stock/{sku} failed: {e.Message}");
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                throw new UpstreamException(StatusCodes.Status502BadGateway, $"GET {http.BaseAddress}stock/{sku} answered {(int)response.StatusCode}: {body}");
            }

            return await response.Content.ReadFromJsonAsync<StockLevel>(cancellationToken)
                ?? throw new UpstreamException(StatusCodes.Status502BadGateway, $"GET {http.BaseAddress}stock/{sku} answered an empty body");
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

internal sealed record Order(int Id, string Sku, int Quantity);

internal sealed record StockLevel(string Service, string Sku, int Stock);

internal sealed record OrderWithStock(int Id, string Sku, int Quantity, int Stock, bool Available);

internal sealed record OrdersPage(string Service, OrderWithStock[] Orders);

internal sealed record WhoAmI(string Service, int Pid);
