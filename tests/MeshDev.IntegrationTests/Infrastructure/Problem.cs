using System.Net;
using System.Text.Json;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>An <c>application/problem+json</c> answer, read and checked.</summary>
internal sealed record Problem(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)
{
    public string Detail => Body.GetProperty("detail").GetString() ?? "";

    public string Title => Body.GetProperty("title").GetString() ?? "";

    public IReadOnlyList<string> Logs => Body.TryGetProperty("logs", out var logs) ? [.. logs.EnumerateArray().Select(l => l.GetString() ?? "")] : [];

    public static async Task<Problem> GetAsync(HttpClient http, Uri url)
    {
        var response = await http.GetAsync(url);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json",
            $"GET {url}: expected a problem+json answer, got {(int)response.StatusCode} {response.Content.Headers.ContentType}: {text}");
        return new Problem(response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }
}
