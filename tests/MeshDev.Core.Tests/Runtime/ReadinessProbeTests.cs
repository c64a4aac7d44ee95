using System.Net;
using System.Net.Sockets;
using MeshDev.Catalog;
using MeshDev.Testing;

namespace MeshDev.Runtime.Tests;

public sealed class ReadinessProbeTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private readonly LogRecorder _log = new("web");
    private readonly ProcessRuntime _runtime = new();
    private IServiceInstance? _server;
    private ServiceEndpoint _endpoint;

    /// <summary>A real, independent HTTP server: python3's http.server serving a directory with a healthz file and a sub-directory.</summary>
    public async Task InitializeAsync()
    {
        _dir.WriteFile("healthz", "ok");
        Directory.CreateDirectory(_dir.Combine("sub"));
        var port = TestPorts.Free();
        _endpoint = new ServiceEndpoint("127.0.0.1", port);
        Assert.False(await TcpReadinessProbe.Instance.ProbeAsync(_endpoint, CancellationToken.None));
        Assert.False(await new HttpReadinessProbe("/healthz").ProbeAsync(_endpoint, CancellationToken.None));

        var service = new ServiceSpec { Name = "web", Command = "python3", Args = ["-m", "http.server", "${PORT}", "--bind", "127.0.0.1"], WorkingDir = _dir.Path };
        _server = await _runtime.StartAsync(Services.Request(service, _log, port), CancellationToken.None);
        await WaitUntilAsync(TcpReadinessProbe.Instance);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _runtime.Dispose();
        _log.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Http_probe_is_true_for_2xx()
    {
        Assert.True(await new HttpReadinessProbe("/healthz").ProbeAsync(_endpoint, CancellationToken.None));
        Assert.True(await new HttpReadinessProbe("/").ProbeAsync(_endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Http_probe_is_true_for_a_redirect_without_following_it()
    {
        // http.server answers 301 for a directory without its trailing slash.
        Assert.True(await new HttpReadinessProbe("/sub").ProbeAsync(_endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Http_probe_is_false_for_4xx()
    {
        Assert.False(await new HttpReadinessProbe("/missing").ProbeAsync(_endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Probes_are_false_once_the_server_is_gone()
    {
        await _server!.StopAsync(TimeSpan.FromSeconds(5), CancellationToken.None).WaitAsync(Wait.Long);

        Assert.False(await TcpReadinessProbe.Instance.ProbeAsync(_endpoint, CancellationToken.None));
        Assert.False(await new HttpReadinessProbe("/healthz").ProbeAsync(_endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Probe_for_a_spec_is_the_matching_kind()
    {
        Assert.Same(TcpReadinessProbe.Instance, ReadinessProbe.For(ReadyProbeSpec.Tcp));
        var http = Assert.IsType<HttpReadinessProbe>(ReadinessProbe.For(new ReadyProbeSpec(ReadyKind.Http, "healthz")));
        Assert.Equal("/healthz", http.Path);
        Assert.True(await http.ProbeAsync(_endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Http_probe_is_false_when_the_server_accepts_but_never_answers()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = new ServiceEndpoint("127.0.0.1", ((IPEndPoint)silent.LocalEndpoint).Port);

        Assert.True(await TcpReadinessProbe.Instance.ProbeAsync(endpoint, CancellationToken.None));
        Assert.False(await new HttpReadinessProbe("/healthz").ProbeAsync(endpoint, CancellationToken.None));
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_swallowed()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var endpoint = new ServiceEndpoint("127.0.0.1", ((IPEndPoint)silent.LocalEndpoint).Port);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new HttpReadinessProbe("/").ProbeAsync(endpoint, cancelled.Token).AsTask());
    }

    private async Task WaitUntilAsync(IReadinessProbe probe)
    {
        using var limit = new CancellationTokenSource(Wait.Long);
        while (!await probe.ProbeAsync(_endpoint, limit.Token))
        {
            Assert.False(_server!.Exited.IsCompleted, $"the server exited: {string.Join('\n', _log.Lines)}");
            await Task.Delay(10, limit.Token);
        }
    }
}
