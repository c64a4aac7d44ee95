using System.Text.Json;
using System.Text.Json.Nodes;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>One tab of <see cref="HeadlessChromium"/>.</summary>
internal sealed class ChromiumPage(HeadlessChromium browser, string session)
{
    public Task<JsonElement> EvaluateAsync(string expression) => browser.DevTools.EvaluateAsync(session, expression);

    /// <summary>Polls <paramref name="condition"/> (a JavaScript expression) until it is true; the deadline only ends a hang.</summary>
    public async Task WaitUntilAsync(string condition, string what)
    {
        using var expired = new CancellationTokenSource(Eventually.Deadline);
        while (true)
        {
            var value = await EvaluateAsync($"Boolean({condition})");
            if (value.ValueKind == JsonValueKind.True)
            {
                return;
            }

            if (expired.IsCancellationRequested)
            {
                var page = await EvaluateAsync("document.body ? document.body.innerText : document.documentElement.outerHTML");
                throw new TimeoutException($"still waiting after {Eventually.Deadline.TotalSeconds:0} s for the page to show {what}; the page says:{Environment.NewLine}{page}{Environment.NewLine}chromium:{Environment.NewLine}{browser.Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50));
        }
    }

    /// <summary>A PNG of what the tab shows.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var shot = await browser.DevTools.SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true }, session);
        return Convert.FromBase64String(shot.GetProperty("data").GetString()!);
    }
}
