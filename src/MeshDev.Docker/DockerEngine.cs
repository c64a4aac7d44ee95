using Docker.DotNet;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// The connection to the Docker engine: <c>DOCKER_HOST</c>, else the default unix socket. Connects on first use, so a
/// mesh without containers never needs an engine, and says in one sentence what to do when none answers.
/// </summary>
public sealed class DockerEngine : IDisposable
{
    /// <summary>The engine API version asked for: Debian 12's docker.io (20.10) speaks 1.41, newer engines still accept it.</summary>
    public static readonly Version ApiVersion = new(1, 41);

    public const string DefaultEndpoint = "unix:///var/run/docker.sock";

    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(3);

    private readonly DockerClientConfiguration _configuration;
    private readonly Lock _gate = new();
    private DockerClient? _client;
    private Task<DockerClient>? _connected;

    public DockerEngine(string? endpoint = null)
    {
        Endpoint = endpoint ?? FromEnvironment();
        // Requests that wait for a container (wait, attach, logs) last as long as it runs; every other call passes its own token.
        _configuration = new DockerClientConfiguration(new Uri(Endpoint), defaultTimeout: Timeout.InfiniteTimeSpan);
    }

    /// <summary>Where the engine is expected, e.g. <c>unix:///var/run/docker.sock</c>.</summary>
    public string Endpoint { get; }

    public static string FromEnvironment() =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : DefaultEndpoint;

    /// <summary>The client, once the engine has answered a ping; throws <see cref="LaunchException"/> with what to fix when it does not.</summary>
    public Task<DockerClient> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A failed attempt is forgotten, so an engine started later is found by the next launch.
            if (_connected is null || _connected.IsFaulted || _connected.IsCanceled)
            {
                _client ??= _configuration.CreateClient(ApiVersion);
                _connected = PingAsync(_client, cancellationToken);
            }

            return _connected;
        }
    }

    private async Task<DockerClient> PingAsync(DockerClient client, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await client.System.PingAsync(timeout.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LaunchException(NotReachable(e), e);
        }
    }

    /// <summary>One sentence: what was tried, why it failed, how to fix it.</summary>
    public string NotReachable(Exception e)
    {
        var socket = Endpoint.StartsWith("unix://", StringComparison.Ordinal) ? Endpoint["unix://".Length..] : null;
        var missing = socket is not null && !File.Exists(socket);
        var reason = e is OperationCanceledException ? $"no answer within {PingTimeout.TotalSeconds:0} s"
            : missing ? "no such socket"
            : Innermost(e).Message.TrimEnd('.');
        var hint = missing
            ? $"{socket} does not exist: start the engine (sudo systemctl start docker, or dockerd) or set DOCKER_HOST to where it listens"
            : "check that the engine runs and that you may use it (e.g. membership of the docker group), or set DOCKER_HOST";
        return $"the Docker engine is not reachable at {Endpoint} ({reason}); {hint}";
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    public void Dispose()
    {
        _client?.Dispose();
        _configuration.Dispose();
    }
}
