using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MeshDev.IntegrationTests.GrpcTests.Infrastructure;
using MeshDev.IntegrationTests.Infrastructure;

namespace MeshDev.IntegrationTests.XdsTests;

/// <summary>
/// <c>node tests/js/xds-client.js</c>: a proxyless gRPC client (@grpc/grpc-js-xds, no .NET code) that resolves
/// <c>xds:///SERVICE</c> through the mesh's ADS server and keeps one channel for the whole test, so later calls
/// follow the endpoints it was pushed. Each <see cref="SayAsync"/> is one line to its stdin and one JSON line back.
/// </summary>
internal sealed class XdsNodeClient : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private XdsNodeClient(Process process, string nodeId)
    {
        _process = process;
        NodeId = nodeId;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>The node id it reports to the ADS server (how the server's client list names it).</summary>
    public string NodeId { get; }

    /// <summary>Starts the client for <c>xds:///<paramref name="service"/></c> against the ADS server on <paramref name="xdsPort"/>.</summary>
    /// <param name="callTimeoutMs">Each call's deadline (by default only a hang guard).</param>
    public static async Task<XdsNodeClient> StartAsync(int xdsPort, string service, string nodeId, int callTimeoutMs = 60_000)
    {
        var script = Path.Combine(GrpcTestPaths.RepositoryRoot, "tests", "js", "xds-client.js");
        var modules = Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "@grpc", "grpc-js-xds");
        Assert.True(Directory.Exists(modules), $"{modules} is missing: run devtools/setup.sh (npm ci in tests/js)");
        var start = new ProcessStartInfo("node")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };
        foreach (var argument in new[] { script, "--xds-port", xdsPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--target", $"xds:///{service}", "--node-id", nodeId, "--timeout-ms", callTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        // Only the ADS server and the endpoints it names, whatever the machine's environment says.
        foreach (var variable in new[] { "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "grpc_proxy", "GRPC_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "GRPC_XDS_BOOTSTRAP" })
        {
            start.Environment.Remove(variable);
        }

        var client = new XdsNodeClient(Process.Start(start)!, nodeId);
        var ready = await client.ReadLineAsync();
        Assert.True(ready.TryGetProperty("ready", out _), $"xds-client.js did not start: {ready}{client.Stderr()}");
        return client;
    }

    /// <summary>One unary Say("hello") on the client's channel.</summary>
    public async Task<XdsCall> SayAsync()
    {
        await _process.StandardInput.WriteLineAsync("say");
        await _process.StandardInput.FlushAsync();
        var line = await ReadLineAsync();
        return new XdsCall(
            line.GetProperty("ok").GetBoolean(),
            line.GetProperty("code").GetInt32(),
            line.GetProperty("details").GetString() ?? "",
            line.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number ? pid.GetInt32() : null,
            line.TryGetProperty("peer", out var peer) ? peer.GetString() : null,
            line.GetRawText());
    }

    /// <summary>What the client wrote on stderr so far, for failure messages.</summary>
    public string Stderr()
    {
        lock (_stderr)
        {
            return _stderr.Length == 0 ? "" : $"{Environment.NewLine}xds-client.js stderr:{Environment.NewLine}{_stderr}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("quit");
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private async Task<JsonElement> ReadLineAsync()
    {
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(Eventually.Deadline + TimeSpan.FromSeconds(30));
        Assert.True(line is not null, $"xds-client.js exited (code {(_process.HasExited ? _process.ExitCode : -1)}){Stderr()}");
        try
        {
            return JsonDocument.Parse(line!).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"xds-client.js printed '{line}', not a JSON line{Stderr()}", e);
        }
    }
}

/// <summary>One call of <see cref="XdsNodeClient"/>: its status, the echo's pid, and the address the call went to.</summary>
internal sealed record XdsCall(bool Ok, int Code, string Details, int? Pid, string? Peer, string Json)
{
    /// <summary>The port of <see cref="Peer"/> (<c>127.0.0.1:PORT</c>): the mesh port = through the activator.</summary>
    public int? PeerPort => Peer is { } peer && int.TryParse(peer[(peer.LastIndexOf(':') + 1)..], out var port) ? port : null;
}
