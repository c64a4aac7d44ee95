using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// One container's readinessProbe or startupProbe, made from inside its pod's network namespace: <c>tcpSocket</c> (a connection),
/// <c>httpGet</c> (a status from 200 to 399) and <c>exec</c> (exit code 0, in the container's environment), each with
/// the probe's <c>timeoutSeconds</c>, and <c>grpc</c> (<c>grpc.health.v1.Health/Check</c> answering SERVING over h2c).
/// <c>host</c> defaults to the pod's IP, as the kubelet's does.
/// </summary>
internal sealed class ProbeCheck
{
    private readonly V1Probe _probe;
    private readonly V1Container _container;
    private readonly PodNetwork _network;
    private readonly ContainerCommand _command;
    private readonly TimeProvider _time;

    public ProbeCheck(V1Probe probe, V1Container container, PodNetwork network, ContainerCommand command, TimeProvider time)
    {
        _probe = probe;
        _container = container;
        _network = network;
        _command = command;
        _time = time;
        Unsupported = probe.TcpSocket is null && probe.HttpGet is null && probe.Exec is null && probe.Grpc is null
            ? "the stand-in runs tcpSocket, httpGet, exec and grpc probes, not this one: the container is never ready"
            : Encoding.UTF8.GetByteCount(probe.Grpc?.Service ?? "") > 127
                ? "the stand-in's grpc probes name services of at most 127 bytes: the container is never ready"
            : probe.HttpGet?.Scheme is { } scheme && !scheme.Equals("HTTP", StringComparison.OrdinalIgnoreCase)
                ? $"the stand-in's httpGet probes speak HTTP, not {scheme}: the container is never ready"
                : null;
    }

    /// <summary>Why this probe cannot be run here, or null.</summary>
    public string? Unsupported { get; }

    public TimeSpan InitialDelay => TimeSpan.FromSeconds(_probe.InitialDelaySeconds ?? 0);

    public TimeSpan Period => TimeSpan.FromSeconds(Math.Max(1, _probe.PeriodSeconds ?? 10));

    public int SuccessThreshold => Math.Max(1, _probe.SuccessThreshold ?? 1);

    public int FailureThreshold => Math.Max(1, _probe.FailureThreshold ?? 3);

    /// <summary>Null when the probe passes; else the kubelet's kind of words for why not.</summary>
    public async Task<string?> RunAsync(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, _probe.TimeoutSeconds ?? 1));
        using var timer = new CancellationTokenSource(timeout, _time);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            return _probe.TcpSocket is { } tcp ? await TcpAsync(tcp, limit.Token)
                : _probe.HttpGet is { } http ? await HttpAsync(http, limit.Token)
                : _probe.Grpc is { } grpc ? await GrpcAsync(grpc, limit.Token)
                : await ExecAsync(_probe.Exec, limit.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"timeout: the probe took longer than {timeout.TotalSeconds:0}s";
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The namespace went with its pod meanwhile, or the probe names a port the container does not declare.
            return e.Message;
        }
    }

    private async Task<string?> TcpAsync(V1TCPSocketAction tcp, CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(Host(tcp.Host), Port(tcp.Port));
        try
        {
            using var socket = await _network.ConnectAsync(endpoint, cancellationToken);
            return null;
        }
        catch (SocketException e)
        {
            return $"dial tcp {endpoint}: connect: {e.Message}";
        }
    }

    /// <summary>
    /// As the kubelet's: redirects to the same host and port are followed (at most 10) and the last status judged; a
    /// redirect elsewhere is not followed and passes, as a 3xx does.
    /// </summary>
    private async Task<string?> HttpAsync(V1HTTPGetAction get, CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(Host(get.Host), Port(get.Port));
        var url = new Uri($"http://{endpoint}{(get.Path is { Length: > 0 } path ? path : "/")}");
        using var client = ClientInside(endpoint);
        try
        {
            for (var redirects = 0; ; redirects++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                request.Headers.UserAgent.ParseAdd("kube-probe/1.33");
                request.Headers.ConnectionClose = true;
                foreach (var header in get.HttpHeaders ?? [])
                {
                    request.Headers.TryAddWithoutValidation(header.Name, header.Value);
                }

                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                var status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { } location
                    && new Uri(url, location) is var next && next.Authority == url.Authority)
                {
                    if (redirects == 10)
                    {
                        return $"Get \"{next}\": stopped after 10 redirects";
                    }

                    url = next;
                    continue;
                }

                return status is >= 200 and < 400 ? null : $"HTTP probe failed with statuscode: {status}";
            }
        }
        catch (HttpRequestException e)
        {
            return $"Get \"{url}\": {e.InnerException?.Message ?? e.Message}";
        }
    }

    private async Task<string?> GrpcAsync(V1GRPCAction grpc, CancellationToken cancellationToken)
    {
        var endpoint = new IPEndPoint(_network.Address, grpc.Port);
        // HealthCheckRequest { string service = 1; } by hand (a name under 128 bytes has a one-byte length), behind
        // gRPC's frame header: no compression, then the message's length, big-endian.
        var name = Encoding.UTF8.GetBytes(grpc.Service ?? "");
        byte[] message = name.Length == 0 ? [] : [0x0A, (byte)name.Length, .. name];
        byte[] frame = [0, 0, 0, 0, (byte)message.Length, .. message];
        using var client = ClientInside(endpoint);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"http://{endpoint}/grpc.health.v1.Health/Check")
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(frame),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TE.ParseAdd("trailers");
        try
        {
            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var status = (response.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer : response.Headers.TryGetValues("grpc-status", out var header) ? header : null)?.FirstOrDefault();
            if (status != "0")
            {
                return $"rpc error: code = {status ?? "Unknown"} desc = the health check did not answer OK (HTTP {(int)response.StatusCode})";
            }

            // HealthCheckResponse { ServingStatus status = 1; }: a missing field is UNKNOWN (0).
            var serving = body.Length >= 7 && body[5] == 0x08 ? body[6] : 0;
            return serving == 1 ? null : $"service unhealthy (responded with \"{ServingStatus(serving)}\")";
        }
        catch (HttpRequestException e)
        {
            return $"failed to connect service \"{endpoint}\": {e.InnerException?.Message ?? e.Message}";
        }
    }

    private static string ServingStatus(int status) => status switch
    {
        1 => "SERVING",
        2 => "NOT_SERVING",
        3 => "SERVICE_UNKNOWN",
        _ => "UNKNOWN",
    };

    /// <summary>An HTTP client whose every connection is made from inside the pod; one connection a probe, as the kubelet's.</summary>
    private HttpClient ClientInside(IPEndPoint endpoint) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (_, ct) => new NetworkStream(await _network.ConnectAsync(endpoint, ct), ownsSocket: true),
    });

    private async Task<string?> ExecAsync(V1ExecAction exec, CancellationToken cancellationToken)
    {
        if (exec.Command is not { Count: > 0 } command)
        {
            return "exec probe without a command";
        }

        var result = await _network.RunAsync(_command.Exec([.. command]), _command.Environment, cancellationToken);
        return result.ExitCode == 0 ? null : $"{result.Output}{result.Error}".Trim() is { Length: > 0 } said ? said : $"command exited with {result.ExitCode}";
    }

    private IPAddress Host(string? host) =>
        host is not { Length: > 0 } ? _network.Address
        : IPAddress.TryParse(host, out var address) ? address
        : throw new InvalidOperationException($"the stand-in's probes take an IP address as host, not \"{host}\" (it has no DNS)");

    /// <summary>A port number, or the name of one of the container's ports.</summary>
    private int Port(IntOrString port) =>
        int.TryParse(port.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : _container.Ports?.FirstOrDefault(p => p.Name == port.Value)?.ContainerPort
                ?? throw new InvalidOperationException($"the probe names port \"{port.Value}\", which container {_container.Name} does not declare");
}
