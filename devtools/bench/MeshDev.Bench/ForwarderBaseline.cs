using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace MeshDev.Bench;

/// <summary>
/// <c>--baseline-forwarder</c>: the least a .NET proxy can do here — Kestrel plus YARP's <see cref="IHttpForwarder"/>
/// (direct forwarding: no routing, no config, no per-request pipeline, default X-Forwarded transforms), in this
/// process like the mesh. The gap between it and the mesh is what the mesh's own request pipeline costs; the gap
/// between it and nginx is what Kestrel + SocketsHttpHandler cost.
/// </summary>
internal sealed class ForwarderBaseline : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _client;

    private ForwarderBaseline(WebApplication app, HttpMessageInvoker client, int port)
    {
        _app = app;
        _client = client;
        Port = port;
    }

    public int Port { get; }

    public static async Task<ForwarderBaseline> StartAsync(int port, int backendPort, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        var app = builder.Build();

        // Like YARP's own client: no proxy, no redirects, no cookies, no decompression, no activity propagation.
        var client = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        var destination = $"http://127.0.0.1:{backendPort}/";
        app.Run(async context => await forwarder.SendAsync(context, destination, client, ForwarderRequestConfig.Empty, HttpTransformer.Default).ConfigureAwait(false));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new ForwarderBaseline(app, client, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    /// <summary>Waits, bounded, until <paramref name="uri"/> answers 200.</summary>
    public static async Task WaitUntilAnswersAsync(HttpClient client, Uri uri, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(uri, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
            }

            if (deadline.Elapsed >= TimeSpan.FromSeconds(10))
            {
                throw new BenchException($"{uri} did not answer 200 within 10 s");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }
}
