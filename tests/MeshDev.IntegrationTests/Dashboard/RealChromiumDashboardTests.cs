using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>
/// The dashboard in the real, headless Chromium (Debian's package), driven over the DevTools protocol: the page follows a
/// lazy launch live (server-sent events) and draws the new edges. Saves a screenshot to <c>TestResults/dashboard.png</c>
/// next to the test assembly.
/// </summary>
public sealed class RealChromiumDashboardTests
{
    private const string Services = "#services tbody tr";

    [Fact]
    public async Task Real_headless_chromium_shows_a_lazy_launch_turn_ready_and_the_new_edges_appear()
    {
        await using var mesh = await WebCallsApi.StartAsync();
        await using var chromium = await HeadlessChromium.StartAsync();
        var info = mesh.Host.Info;

        var page = await chromium.OpenAsync($"{info.ControlUrl}/dashboard?token={info.Token}");

        await page.WaitUntilAsync(
            $"document.querySelectorAll('{Services}[data-state=\"stopped\"]').length === 2 && document.querySelectorAll('#graph g[data-node]').length === 0",
            "both services stopped and nothing in the graph: nothing called, nothing running");
        Assert.Equal("/dashboard", (await page.EvaluateAsync("location.pathname + location.search")).GetString());
        Assert.Equal("", (await page.EvaluateAsync("document.cookie")).GetString()); // HttpOnly: no script sees it
        Assert.Equal(0, (await page.EvaluateAsync("document.querySelectorAll('#graph g.edge').length")).GetInt32());

        // A lazy launch through the mesh: web is launched for this request, and its own call launches api.
        await WebCallsApi.CallAsync(mesh);

        await page.WaitUntilAsync(
            $"document.querySelector('{Services}[data-service=\"web\"]').dataset.state === 'ready'" +
            $" && document.querySelector('{Services}[data-service=\"api\"]').dataset.state === 'ready'" +
            " && document.querySelector('#graph g.edge[data-from=\"web\"][data-to=\"api\"][data-count=\"1\"]')" +
            " && document.querySelector('#graph g.edge[data-from=\"external\"][data-to=\"web\"][data-count=\"1\"]')" +
            " && document.querySelector('#graph g[data-node=\"api\"]').dataset.state === 'ready'" +
            " && document.querySelector('#requests tr[data-caller=\"web\"][data-service=\"api\"]')" +
            $" && document.querySelector('{Services}[data-service=\"api\"] td[data-reason]').textContent === 'call from web'",
            "web and api ready, the edges external → web and web → api, web's call among the recent requests, api launched by web's call");

        var png = await page.ScreenshotAsync();
        var results = Path.Combine(AppContext.BaseDirectory, "TestResults");
        Directory.CreateDirectory(results);
        await File.WriteAllBytesAsync(Path.Combine(results, "dashboard.png"), png);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }

    [Fact]
    public async Task Real_headless_chromium_shows_a_service_held_for_your_instance_as_held()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front", port: TestPorts.Free()).Service("back"));
        await using var chromium = await HeadlessChromium.StartAsync();
        var page = await chromium.OpenAsync($"{mesh.Host.Info.ControlUrl}/dashboard?token={mesh.Host.Info.Token}");
        await mesh.GetStringAsync("front", "/");

        // meshdev stop front --hold: its stop is the event that brings the page the hold.
        await mesh.Service("front").StopAsync(hold: true);

        const string Badge = "document.querySelector('#services tr[data-service=\"front\"][data-state=\"stopped\"] .badge')";
        await page.WaitUntilAsync($"{Badge}?.textContent === 'held'", "front's badge saying held");
        Assert.Equal("badge s-held", (await page.EvaluateAsync($"{Badge}.className")).GetString());
        Assert.Equal("stopped", (await page.EvaluateAsync("document.querySelector('#services tr[data-service=\"back\"] .badge').textContent")).GetString());
    }
}
