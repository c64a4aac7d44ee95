// Frontend: the entry of the shop's call chain (frontend -> orders -> inventory).
//
//   GET /         -> { service: "frontend", orders: <the answer of orders' GET /orders> }
//   GET /shop     -> the same (the manifest routes the path prefix /shop of the mesh's shared port here)
//   GET /whoami   -> { service, pid }
//   GET /healthz  -> 200 "ok"                  (the mesh's readiness probe)
//
// It listens where ASPNETCORE_URLS says. Orders is found through the environment variable
// services__orders__http__0=http://127.0.0.1:{meshPort}, which MeshDev sets for every service it
// launches (.NET configuration reads it as "services:orders:http:0"). No DNS names are involved.

using System.Text.Json;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
ListenOnPortIfNoUrls(builder);

// A typed HttpClient whose base address is orders' mesh address (left unset when the variable is missing;
// OrdersClient then fails the request with a message naming the variable).
builder.Services.AddHttpClient<OrdersClient>((services, http) =>
    http.BaseAddress = ServiceAddress.Find(services.GetRequiredService<IConfiguration>(), "orders"));

var app = builder.Build();

app.MapGet("/healthz", () => "ok");
app.MapGet("/whoami", () => new WhoAmI("frontend", Environment.ProcessId));
app.MapGet("/", Home);
app.MapGet("/shop", Home);

app.Lifetime.ApplicationStarted.Register(() => Console.WriteLine($"frontend listening on {string.Join(", ", app.Urls)}"));

app.Run();

static async Task<IResult> Home(OrdersClient orders, CancellationToken cancellationToken)
{
    try
    {
        return Results.Ok(new HomePage("frontend", await orders.GetOrdersAsync(cancellationToken)));
    }
    catch (UpstreamException e)
    {
        return Results.Problem(statusCode: e.StatusCode, title: "frontend: call to orders failed", detail: e.Message);
    }
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

internal sealed record HomePage(string Service, JsonElement Orders);

internal sealed record WhoAmI(string Service, int Pid);
