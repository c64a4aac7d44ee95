using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MeshDev.Daemon.Dashboard;

/// <summary>
/// Who may see the dashboard: whoever has the control token (in <c>.meshdev/daemon.json</c>, readable by its owner only).
/// A browser shows it once, as <c>/dashboard?token=…</c>, and gets a cookie instead (HttpOnly, SameSite=Strict, so no
/// script and no other site can use it); scripts send the token as a bearer header. Only loopback connections, with a
/// loopback Host (so a web page whose name was rebound to 127.0.0.1 cannot read the page either).
/// </summary>
internal static class DashboardAuth
{
    public const string TokenParameter = "token";

    /// <summary>One cookie per control port: two meshes on this machine share the host 127.0.0.1, and cookies ignore ports.</summary>
    public static string CookieName(HttpContext context) =>
        "meshdev_dashboard_" + context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture);

    /// <summary>Derived from the token rather than the token itself: the cookie opens the dashboard, not the control API.</summary>
    public static string CookieValue(string token) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("meshdev dashboard\n" + token)));

    public static bool IsLoopback(HttpContext context) =>
        context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote) && IsLoopbackHost(context.Request.Host.Host);

    public static bool IsToken(string? candidate, string token) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), Encoding.UTF8.GetBytes(token));

    /// <summary>The bearer token, or the cookie <see cref="CookieValue"/> gives.</summary>
    public static bool IsAuthorized(HttpContext context, string token)
    {
        const string Prefix = "Bearer ";
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return IsToken(header[Prefix.Length..], token);
        }

        return context.Request.Cookies.TryGetValue(CookieName(context), out var cookie) && IsToken(cookie, CookieValue(token));
    }

    public static CookieOptions CookieOptions() => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Path = "/dashboard",
        IsEssential = true,
    };

    private static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
