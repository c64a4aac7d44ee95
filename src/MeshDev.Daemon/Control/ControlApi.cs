using System.Security.Cryptography;
using System.Text;
using MeshDev.Activation;
using MeshDev.Daemon.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MeshDev.Daemon.Control;

/// <summary>
/// The daemon's control API (JSON over HTTP on a loopback port picked at start). Every call needs the bearer token
/// from <c>daemon.json</c>, a file only its owner can read, so other local users cannot drive the mesh.
/// </summary>
public static class ControlApi
{
    public static void MapControlApi(this WebApplication app, MeshHost host)
    {
        var api = app.MapGroup("/v1").AddEndpointFilter(async (context, next) =>
            IsAuthorized(context.HttpContext, host) ? await next(context) : Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized, title: "missing or wrong token",
                detail: "send 'Authorization: Bearer <token>' with the token from .meshdev/daemon.json"));

        api.MapGet("/status", () => Results.Json(host.GetStatus()));
        api.MapGet("/routes", () => Results.Json(host.GetRoutes()));
        api.MapPost("/services/{name}/start", async (string name, CancellationToken ct) =>
        {
            if (host.Activator.Find(name) is not { } service)
            {
                return UnknownService(host, name);
            }

            try
            {
                await service.StartAsync(ct);
                return Results.Json(host.GetStatus().Services.Single(s => s.Name == service.Service.Name));
            }
            catch (ServiceUnavailableException ex)
            {
                return Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: $"service '{name}' could not be launched",
                    detail: ex.Failure.Cause + Environment.NewLine + string.Join(Environment.NewLine, ex.Failure.LogTail));
            }
        });
        api.MapPost("/services/{name}/stop", async (string name) =>
        {
            if (host.Activator.Find(name) is not { } service)
            {
                return UnknownService(host, name);
            }

            await service.StopAsync();
            return Results.Json(host.GetStatus().Services.Single(s => s.Name == service.Service.Name));
        });
        api.MapPost("/shutdown", () =>
        {
            host.RequestShutdown();
            return Results.Accepted();
        });
    }

    private static IResult UnknownService(MeshHost host, string name) => Results.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"no service '{name}'",
        detail: $"known services: {string.Join(", ", host.Manifest.Services.Select(s => s.Name))}");

    private static bool IsAuthorized(HttpContext context, MeshHost host)
    {
        var header = context.Request.Headers.Authorization.ToString();
        const string Prefix = "Bearer ";
        if (!header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Prefix.Length..]), Encoding.UTF8.GetBytes(host.Info.Token));
    }
}
