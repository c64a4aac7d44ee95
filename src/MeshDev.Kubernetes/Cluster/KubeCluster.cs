using System.Net;
using k8s;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Cluster;

/// <summary>
/// The connection to the API server of one kubeconfig context. Connects on first use (a mesh without Kubernetes
/// services never reads a kubeconfig), checks that the server answers, and says in one sentence what to do when it
/// does not — like <c>DockerEngine</c> for the Docker engine.
/// </summary>
internal sealed class KubeCluster : IDisposable
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    private readonly KubeConfigSource _source;
    private readonly string? _context;
    private readonly Lock _gate = new();
    private Task<ClusterClient>? _connected;
    private ClusterClient? _client;

    public KubeCluster(KubeConfigSource source, string? context)
    {
        _source = source;
        _context = context;
    }

    /// <summary>The client, once the API server has answered; throws <see cref="LaunchException"/> with what to fix when it does not.</summary>
    public Task<ClusterClient> ConnectAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // A failed attempt is forgotten, so a cluster started later (or a fixed kubeconfig) is found by the next launch.
            if (_connected is null || _connected.IsFaulted || _connected.IsCanceled)
            {
                _connected = ConnectOnceAsync(cancellationToken);
            }

            return _connected;
        }
    }

    private async Task<ClusterClient> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var client = _client;
        if (client is null)
        {
            var (configuration, description) = _source.Load(_context);
            client = new ClusterClient(configuration, description);
            lock (_gate)
            {
                _client = client;
            }
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            // /version is readable by every authenticated user (and anonymous ones on most clusters): it proves the
            // server answers and that the credentials are accepted, without needing any Role.
            await client.Version.GetCodeAsync(timeout.Token).ConfigureAwait(false);
            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && ApiErrors.StatusOf(e) is { } status && status != HttpStatusCode.Unauthorized)
        {
            // Some clusters (and proxies in front of them) hide /version; any answer but "who are you?" proves the server is there.
            return client;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LaunchException(ApiErrors.Describe(e, "reaching the API server", client), e);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _client?.Dispose();
            _client = null;
        }
    }
}
