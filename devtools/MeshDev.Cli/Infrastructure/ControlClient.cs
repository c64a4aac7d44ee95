using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.State;

namespace MeshDev.Cli.Infrastructure;

/// <summary>Talks to a running mesh's control API, found through <c>.meshdev/daemon.json</c> next to the manifest.</summary>
public sealed class ControlClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    private ControlClient(DaemonInfo info)
    {
        Info = info;
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(info.ControlUrl), Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", info.Token);
    }

    public DaemonInfo Info { get; }

    /// <summary>The client for the mesh of <paramref name="manifestPath"/>, or null (with the reason) when none runs.</summary>
    public static ControlClient? TryConnect(string manifestPath, out string why)
    {
        var state = StateDirectory.For(manifestPath);
        var info = DaemonInfo.TryRead(state.DaemonFile);
        if (info is null)
        {
            why = $"no mesh is running for {Path.GetFullPath(manifestPath)} (start one with 'meshdev up')";
            return null;
        }

        if (!info.IsAlive)
        {
            why = $"the mesh for {Path.GetFullPath(manifestPath)} is not running any more (pid {info.Pid} is gone); run 'meshdev down' to clean up, then 'meshdev up'";
            return null;
        }

        why = "";
        return new ControlClient(info);
    }

    public async Task<MeshStatus> GetStatusAsync(CancellationToken cancellationToken) =>
        (await _http.GetFromJsonAsync<MeshStatus>("/v1/status", Json, cancellationToken).ConfigureAwait(false))!;

    public async Task<RoutesView> GetRoutesAsync(CancellationToken cancellationToken) =>
        (await _http.GetFromJsonAsync<RoutesView>("/v1/routes", Json, cancellationToken).ConfigureAwait(false))!;

    public async Task<(bool Ok, string Body)> PostAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsync(path, content: null, cancellationToken).ConfigureAwait(false);
        return (response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
    }

    public void Dispose() => _http.Dispose();
}
