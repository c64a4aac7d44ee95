using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// The dashboard on the control port: <c>/dashboard</c> (one HTML page, its CSS and script inline),
/// <c>/dashboard/events</c> (server-sent events: a <see cref="DashboardSnapshot"/> per change) and
/// <c>/dashboard/graph.json</c> (the call graph of the services that called or were called, and those running; every
/// service with <c>?all=true</c>; for <c>meshdev graph</c> and scripts). See <see cref="DashboardAuth"/>.
/// </summary>
public static class DashboardEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void MapDashboard(this WebApplication app, MeshHost host)
    {
        var dashboard = app.MapGroup("/dashboard").OnControlPort().AddEndpointFilter(async (invocation, next) =>
        {
            var context = invocation.HttpContext;
            if (!DashboardAuth.IsLoopback(context))
            {
                return Results.Text("The dashboard answers on 127.0.0.1 and localhost only.\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);
            }

            if (context.Request.Query.TryGetValue(DashboardAuth.TokenParameter, out var token))
            {
                if (!DashboardAuth.IsToken(token.ToString(), host.Info.Token))
                {
                    return Unauthorized(context);
                }

                // The token leaves the address bar at once (nobody copies it from there by accident); the cookie stands in for it.
                context.Response.Cookies.Append(DashboardAuth.CookieName(context), DashboardAuth.CookieValue(host.Info.Token), DashboardAuth.CookieOptions());
                return Results.Redirect(context.Request.PathBase + context.Request.Path);
            }

            return DashboardAuth.IsAuthorized(context, host.Info.Token) ? await next(invocation) : Unauthorized(context);
        });

        dashboard.MapGet("", Page);
        dashboard.MapGet("/graph.json", (bool? all) => Results.Json(DashboardSnapshot.GraphOf(host, all == true), Json));
        dashboard.MapGet("/events", (HttpContext context) => StreamAsync(context, host));
    }

    private static IResult Page(HttpContext context)
    {
        // Only this response's own inline style and script run: nothing injected through a service name or a request path could.
        var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        return Results.Text(DashboardPage.Html.Replace("{{nonce}}", nonce, StringComparison.Ordinal), "text/html; charset=utf-8");
    }

    private static async Task StreamAsync(HttpContext context, MeshHost host)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        // Ends when the page is closed, and when the mesh stops: an open page must not hold up 'meshdev down'.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            // A page that lost the daemon tries again every second (a restarted daemon has a new port and token, though).
            await response.WriteAsync("retry: 1000\n\n", done.Token);
            await foreach (var snapshot in DashboardFeed.WatchAsync(host, done.Token))
            {
                await response.WriteAsync(snapshot is null ? ": still here\n\n" : $"event: snapshot\ndata: {JsonSerializer.Serialize(snapshot, Json)}\n\n", done.Token);
                await response.Body.FlushAsync(done.Token);
            }
        }
        catch (OperationCanceledException) when (done.IsCancellationRequested)
        {
            // The page was closed, or the mesh is stopping.
        }
    }

    private static IResult Unauthorized(HttpContext context)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Text(
            "This dashboard needs the mesh's control token: open the URL that 'meshdev dashboard' prints, " +
            "or send 'Authorization: Bearer <token>' with the token from .meshdev/daemon.json.\n",
            "text/plain; charset=utf-8",
            Encoding.UTF8,
            StatusCodes.Status401Unauthorized);
    }
}
