using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.IntegrationTests.Infrastructure;
using MeshDev.Runtime;

namespace MeshDev.IntegrationTests.DashboardTests;

/// <summary>The dashboard's services table hears of a request a hung service holds, though holding it is no event.</summary>
public sealed class DashboardInFlightTests
{
    private const int SigCont = 18;

    [Fact]
    public async Task A_request_held_by_a_sigstopped_service_reaches_the_dashboard_with_its_growing_age_and_its_end()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));
        var url = $"http://127.0.0.1:{mesh.Manifest.MeshPorts["front"]}";
        var pid = (await mesh.Http.GetFromJsonAsync<WhoAmI>($"{url}/whoami"))!.Pid;
        using var http = TestMesh.NewHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, mesh.Host.Info.ControlUrl + "/dashboard/events");
        request.Headers.Authorization = new("Bearer", mesh.Host.Info.Token);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = Front(await NextSnapshotAsync(events));
        Assert.Equal(0, first.GetProperty("inFlight").GetInt32());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("oldestInFlightMs").ValueKind);

        await PausedProcess.StopAsync(pid);
        try
        {
            var held = mesh.Http.GetStringAsync($"{url}/");
            var seen = await UntilAsync(events, f => f.GetProperty("inFlight").GetInt32() == 1);
            var age = seen.GetProperty("oldestInFlightMs").GetInt64();

            // Nothing changes while the service is stopped, yet the page is sent the request's age again.
            var again = Front(await NextSnapshotAsync(events));
            Assert.Equal(1, again.GetProperty("inFlight").GetInt32());
            Assert.True(again.GetProperty("oldestInFlightMs").GetInt64() >= age);
            Assert.False(held.IsCompleted);

            Assert.True(UnixProcess.SignalProcess(pid, SigCont));
            Assert.Equal("hello from front", await held);
        }
        finally
        {
            UnixProcess.SignalProcess(pid, SigCont);
        }

        var ended = await UntilAsync(events, f => f.GetProperty("inFlight").GetInt32() == 0);
        Assert.Equal(JsonValueKind.Null, ended.GetProperty("oldestInFlightMs").ValueKind);
    }

    [Fact]
    public async Task Real_headless_chromium_shows_the_held_request_and_its_age_in_the_services_table()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("front"));
        var url = $"http://127.0.0.1:{mesh.Manifest.MeshPorts["front"]}";
        var pid = (await mesh.Http.GetFromJsonAsync<WhoAmI>($"{url}/whoami"))!.Pid;
        await using var chromium = await HeadlessChromium.StartAsync();
        var page = await chromium.OpenAsync($"{mesh.Host.Info.ControlUrl}/dashboard?token={mesh.Host.Info.Token}");
        const string Oldest = "document.querySelector('#services tr[data-service=\"front\"] td[data-oldest-ms]')";
        await page.WaitUntilAsync("document.querySelector('#services tr[data-service=\"front\"][data-state=\"ready\"]')", "front ready");

        await PausedProcess.StopAsync(pid);
        try
        {
            var held = mesh.Http.GetStringAsync($"{url}/");
            await page.WaitUntilAsync($"{Oldest} !== null", "an age in front's Oldest cell");

            var text = (await page.EvaluateAsync($"{Oldest}.textContent")).GetString();
            Assert.Matches(@"^\d+(ms|\.\ds)$", text);
            Assert.Equal("1", (await page.EvaluateAsync($"{Oldest}.previousElementSibling.textContent")).GetString());

            Assert.True(UnixProcess.SignalProcess(pid, SigCont));
            await held;
        }
        finally
        {
            UnixProcess.SignalProcess(pid, SigCont);
        }

        await page.WaitUntilAsync($"{Oldest} === null", "front's Oldest cell empty again once the request ended");
    }

    private static JsonElement Front(JsonElement snapshot) =>
        snapshot.GetProperty("services").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "front");

    private static async Task<JsonElement> UntilAsync(StreamReader events, Func<JsonElement, bool> condition)
    {
        while (true)
        {
            var front = Front(await NextSnapshotAsync(events));
            if (condition(front))
            {
                return front;
            }
        }
    }

    private static async Task<JsonElement> NextSnapshotAsync(StreamReader events)
    {
        while (await events.ReadLineAsync().WaitAsync(Eventually.Deadline) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException("the event stream ended");
    }
}
