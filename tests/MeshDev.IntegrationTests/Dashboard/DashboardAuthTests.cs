using System.Net;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>
/// Who may see the dashboard: the URL <c>meshdev dashboard</c> prints (with the token) becomes an HttpOnly, SameSite=Strict
/// cookie; without it, or with a wrong token, a 401 that says what to do.
/// </summary>
public sealed class DashboardAuthTests
{
    private static HttpClient NewClient(CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = cookies is not null, CookieContainer = cookies ?? new CookieContainer() })
        {
            Timeout = Eventually.Deadline,
        };

    [Fact]
    public async Task Without_the_token_every_dashboard_address_answers_401_with_a_sentence()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("web"));
        using var http = NewClient();
        var control = mesh.Host.Info.ControlUrl;

        foreach (var path in new[] { "/dashboard", "/dashboard/events", "/dashboard/graph.json", "/dashboard?token=wrong" })
        {
            using var response = await http.GetAsync(control + path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains("meshdev dashboard", body);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.False(response.Headers.Contains("Set-Cookie"), $"{path} set a cookie");
        }
    }

    [Fact]
    public async Task The_printed_url_sets_an_http_only_strict_cookie_that_opens_the_page_and_its_events()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("web").Service("api"));
        await using var cli = new MeshdevCli();
        var printed = await cli.RunOkAsync("dashboard", "-f", Path.Combine(mesh.Directory, "meshdev.yaml"), "--no-open");
        var url = printed.Stdout.Trim();
        Assert.Equal($"{mesh.Host.Info.ControlUrl}/dashboard?token={mesh.Host.Info.Token}", url);
        var cookies = new CookieContainer();
        using var browser = NewClient(cookies);

        using var exchange = await browser.GetAsync(url);
        Assert.Equal(HttpStatusCode.Redirect, exchange.StatusCode);
        Assert.Equal("/dashboard", exchange.Headers.Location?.OriginalString);
        var setCookie = Assert.Single(exchange.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/dashboard", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(mesh.Host.Info.Token, setCookie);

        using var page = await browser.GetAsync(mesh.Host.Info.ControlUrl + "/dashboard");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>MeshDev dashboard</title>", html);
        Assert.Contains("script-src 'nonce-", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.DoesNotContain("<script src", html); // everything inline: nothing is fetched from elsewhere
        Assert.DoesNotContain("<link", html);

        // The event stream opens with a snapshot of every service.
        using var events = await browser.GetAsync(mesh.Host.Info.ControlUrl + "/dashboard/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
        string? line;
        while ((line = await reader.ReadLineAsync().WaitAsync(Eventually.Deadline)) is not null && !line.StartsWith("data: ", StringComparison.Ordinal))
        {
        }

        var snapshot = JsonDocument.Parse(line!["data: ".Length..]).RootElement;
        Assert.Equal(["web", "api"], snapshot.GetProperty("services").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.All(snapshot.GetProperty("services").EnumerateArray(), s => Assert.Equal("stopped", s.GetProperty("state").GetString()));
        // Nothing called and nothing running: the graph is empty (the services table lists them all).
        Assert.Empty(snapshot.GetProperty("graph").GetProperty("nodes").EnumerateArray());
    }

    [Fact]
    public async Task The_bearer_token_opens_graph_json_and_a_foreign_host_name_is_refused()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("web"));
        using var http = NewClient();
        var graphUrl = mesh.Host.Info.ControlUrl + "/dashboard/graph.json?all=true";

        using var request = new HttpRequestMessage(HttpMethod.Get, graphUrl);
        request.Headers.Authorization = new("Bearer", mesh.Host.Info.Token);
        using var graph = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, graph.StatusCode);
        Assert.Equal(["external", "web"], JsonDocument.Parse(await graph.Content.ReadAsStringAsync()).RootElement.GetProperty("nodes").EnumerateArray().Select(n => n.GetString()));

        // A page whose name was rebound to 127.0.0.1 sends its own Host: the dashboard is not for it, even with the token.
        using var rebound = new HttpRequestMessage(HttpMethod.Get, graphUrl);
        rebound.Headers.Authorization = new("Bearer", mesh.Host.Info.Token);
        rebound.Headers.Host = "attacker.example";
        using var refused = await http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task The_mesh_ports_do_not_serve_the_dashboard()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("web"));
        using var http = NewClient();

        using var response = await http.GetAsync($"http://127.0.0.1:{mesh.SharedPort}/dashboard?token={mesh.Host.Info.Token}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("MeshDev dashboard", await response.Content.ReadAsStringAsync());
        Assert.Equal(Activation.ServiceState.Stopped, mesh.Service("web").State);
    }
}
