// Inventory: the leaf of the shop's call chain (frontend -> orders -> inventory).
//
//   GET /stock/{sku}  -> { service, sku, stock }   (404 for an unknown SKU)
//   GET /whoami       -> { service, pid }
//   GET /healthz      -> 200 "ok"                  (the mesh's readiness probe)
//
// It listens where ASPNETCORE_URLS says (MeshDev sets it when it launches the service).

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
ListenOnPortIfNoUrls(builder);

var app = builder.Build();

// In-memory stock, keyed by SKU.
var stock = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
{
    ["apple"] = 12,
    ["pear"] = 0,
    ["plum"] = 40,
};

app.MapGet("/healthz", () => "ok");
app.MapGet("/whoami", () => new WhoAmI("inventory", Environment.ProcessId));

app.MapGet("/stock/{sku}", (string sku) =>
    stock.TryGetValue(sku, out var count)
        ? Results.Ok(new StockLevel("inventory", sku, count))
        : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown SKU", detail: $"inventory has no SKU '{sku}'."));

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"inventory listening on {string.Join(", ", app.Urls)}"));

app.Run();

// When neither ASPNETCORE_URLS nor --urls is given but PORT is (the mesh's generic convention), listen there.
static void ListenOnPortIfNoUrls(WebApplicationBuilder builder)
{
    if (string.IsNullOrEmpty(builder.Configuration["urls"]) && int.TryParse(builder.Configuration["PORT"], out var port))
    {
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
    }
}

internal sealed record WhoAmI(string Service, int Pid);

internal sealed record StockLevel(string Service, string Sku, int Stock);
