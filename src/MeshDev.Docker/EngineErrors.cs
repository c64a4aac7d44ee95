using System.Text.Json;
using Docker.DotNet;

namespace MeshDev.Docker;

/// <summary>The engine's own words for a failed call: the <c>message</c> of its JSON error body.</summary>
internal static class EngineErrors
{
    public static string Describe(Exception e) => e switch
    {
        DockerApiException api => MessageOf(api.ResponseBody) ?? $"the engine answered {(int)api.StatusCode} {api.StatusCode}",
        _ => e.Message,
    };

    private static string? MessageOf(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text ? text.Trim() : body.Trim();
        }
        catch (JsonException)
        {
            return body.Trim();
        }
    }
}
