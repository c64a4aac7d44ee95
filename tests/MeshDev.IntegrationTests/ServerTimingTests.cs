using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests;

/// <summary>
/// A request held while its service launched says how long, as <c>Server-Timing: meshdev-activation;dur=…</c> (browser
/// dev tools show it); a warm request gets nothing added.
/// </summary>
public sealed partial class ServerTimingTests
{
    [Fact]
    public async Task A_held_response_says_how_long_it_waited_and_a_warm_one_says_nothing()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("orders"));
        var sent = mesh.Host.Activator.Find("orders")!.Time.GetTimestamp();

        using var cold = await mesh.Http.GetAsync(mesh.Url("orders"));
        var roundTrip = mesh.Host.Activator.Find("orders")!.Time.GetElapsedTime(sent);
        using var warm = await mesh.Http.GetAsync(mesh.Url("orders"));

        Assert.Equal(HttpStatusCode.OK, cold.StatusCode);
        var waited = ActivationMs(cold);
        Assert.InRange(waited, 0.1, roundTrip.TotalMilliseconds);
        Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        Assert.False(warm.Headers.Contains("Server-Timing"), "a warm response got a Server-Timing header");
    }

    [Fact]
    public async Task A_failed_launch_answer_says_how_long_it_waited_too()
    {
        await using var mesh = await TestMesh.StartAsync(m => m.Service("broken", flags: ["--exit-at-once", "3"]));

        using var failed = await mesh.Http.GetAsync(mesh.Url("broken"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.True(ActivationMs(failed) > 0);
    }

    private static double ActivationMs(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Server-Timing", out var values), "no Server-Timing header");
        var match = ActivationPattern().Match(string.Join(", ", values));
        Assert.True(match.Success, $"no meshdev-activation in Server-Timing: {string.Join(", ", values)}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"\bmeshdev-activation;dur=(\d+(?:\.\d+)?)")]
    private static partial Regex ActivationPattern();
}
