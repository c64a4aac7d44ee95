using Docker.DotNet;

namespace MeshDev.Testing.Docker;

/// <summary>The real Docker engine the tests drive: <c>DOCKER_HOST</c>, else the local socket, at API 1.41 (Debian's docker.io).</summary>
public static class DockerEngine
{
    /// <summary>The API version every client speaks; the engine of Debian 12's docker.io (20.10) tops out at 1.41.</summary>
    public static readonly Version ApiVersion = MeshDev.Docker.DockerEngine.ApiVersion;

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Where the engine is expected: <c>DOCKER_HOST</c> when set, else <c>unix:///var/run/docker.sock</c>.</summary>
    public static Uri Address { get; } = new(MeshDev.Docker.DockerEngine.FromEnvironment());

    /// <summary>A client for <see cref="Address"/>, after a ping has shown that the engine answers; else one clear sentence on what to do.</summary>
    public static Task<DockerClient> ConnectAsync(CancellationToken cancellationToken = default) => ConnectAsync(Address, cancellationToken);

    /// <summary>A client for the engine at <paramref name="address"/>, after a ping has shown that it answers; else one clear sentence on what to do.</summary>
    public static async Task<DockerClient> ConnectAsync(Uri address, CancellationToken cancellationToken = default)
    {
        var client = CreateClient(address);
        using var ping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ping.CancelAfter(PingTimeout);
        try
        {
            await client.System.PingAsync(ping.Token);
            return client;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            var reason = e is OperationCanceledException ? $"no answer within {PingTimeout.TotalSeconds:0} s" : e.GetBaseException().Message;
            throw new InvalidOperationException(
                $"Docker engine not reachable at {address} ({reason}); run devtools/setup.sh, which installs docker.io and starts dockerd.", e);
        }
    }

    /// <summary>A client for <paramref name="address"/> (default <see cref="Address"/>) without checking that the engine answers.</summary>
    public static DockerClient CreateClient(Uri? address = null) => new DockerClientConfiguration(address ?? Address).CreateClient(ApiVersion);
}
