using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.Calls;
using MeshDev.Daemon.State;

namespace MeshDev.Cli.Infrastructure;

/// <summary>The daemon's dashboard endpoints on its control port (plain HTTP/1.1 with the bearer token from <c>daemon.json</c>).</summary>
public static class DashboardClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The page's address with the token, which the page swaps for a cookie at once.</summary>
    public static string DashboardUrl(DaemonInfo info) => $"{info.ControlUrl.TrimEnd('/')}/dashboard?token={Uri.EscapeDataString(info.Token)}";

    /// <summary>The observed call graph (<c>/dashboard/graph.json</c>): the services that called or were called and those running, or with <paramref name="all"/> every service.</summary>
    public static async Task<CallGraphSnapshot> GetGraphAsync(DaemonInfo info, CancellationToken cancellationToken, bool all = false)
    {
        // Never through HTTP_PROXY: the daemon is on this machine's loopback.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{info.ControlUrl.TrimEnd('/')}/dashboard/graph.json{(all ? "?all=true" : "")}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", info.Token);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"the mesh answered {(int)response.StatusCode}: {body.Trim()}");
        }

        return await response.Content.ReadFromJsonAsync<CallGraphSnapshot>(Json, cancellationToken).ConfigureAwait(false)
            ?? throw new HttpRequestException("the mesh sent an empty call graph");
    }
}
