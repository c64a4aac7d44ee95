using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace MeshDev.Testing.Docker;

/// <summary>
/// A container a test started on the real engine: host networking (dockerd runs without a bridge, so loopback is the only
/// network), labelled <c>meshdev.test=1</c> so leftovers can be found, and force-removed on dispose.
/// </summary>
public sealed class TestContainer : IAsyncDisposable
{
    /// <summary>The label on every container the tests create (value <c>1</c>).</summary>
    public const string Label = "meshdev.test";

    /// <summary>Limit for waits on a container (an answer, an exit). Generous: it only ends a hang, it never judges speed.</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly DockerClient _docker;

    private TestContainer(DockerClient docker, string id, string image)
    {
        _docker = docker;
        Id = id;
        Image = image;
    }

    /// <summary>The container's ID.</summary>
    public string Id { get; }

    /// <summary>The image it runs.</summary>
    public string Image { get; }

    /// <summary>Creates and starts a container of <paramref name="image"/> (its own CMD unless <paramref name="command"/> is given).</summary>
    public static async Task<TestContainer> StartAsync(
        DockerClient docker,
        string image,
        IReadOnlyList<string>? command = null,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var created = await docker.Containers.CreateContainerAsync(
            new CreateContainerParameters
            {
                Image = image,
                Cmd = command is null ? null : [.. command],
                Env = environment is null ? null : [.. environment.Select(variable => $"{variable.Key}={variable.Value}")],
                Labels = new Dictionary<string, string> { [Label] = "1" },
                HostConfig = new HostConfig { NetworkMode = "host" },
            },
            cancellationToken);
        var container = new TestContainer(docker, created.ID, image);
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), cancellationToken);
            return container;
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }
    }

    /// <summary><c>docker inspect</c> of the container.</summary>
    public Task<ContainerInspectResponse> InspectAsync(CancellationToken cancellationToken = default) =>
        _docker.Containers.InspectContainerAsync(Id, cancellationToken);

    /// <summary>Waits (at most <see cref="Deadline"/>) until the container has exited; returns its exit code.</summary>
    public async Task<long> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Deadline);
        var exited = await _docker.Containers.WaitContainerAsync(Id, limit.Token);
        return exited.StatusCode;
    }

    /// <summary>Everything the container wrote so far, stdout and stderr apart.</summary>
    public async Task<(string Stdout, string Stderr)> LogsAsync(CancellationToken cancellationToken = default)
    {
        using var logs = await _docker.Containers.GetContainerLogsAsync(
            Id, tty: false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, cancellationToken);
        return await logs.ReadOutputToEndAsync(cancellationToken);
    }

    /// <summary>
    /// Follows the container's stdout until <paramref name="text"/> appears and returns it up to there, at most
    /// <see cref="Deadline"/>. The engine copies output into its log on its own schedule, so a line the container
    /// printed before answering a request need not be in <see cref="LogsAsync"/> yet when the answer arrives.
    /// </summary>
    public async Task<string> WaitForStdoutAsync(string text, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Deadline);
        var stdout = new StringBuilder();
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[4096];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        try
        {
            using var logs = await _docker.Containers.GetContainerLogsAsync(
                Id, tty: false, new ContainerLogsParameters { ShowStdout = true, Follow = true }, limit.Token);
            while (true)
            {
                var read = await logs.ReadOutputAsync(bytes, 0, bytes.Length, limit.Token);
                if (read.EOF)
                {
                    break;
                }

                if (read.Target == MultiplexedStream.TargetStream.StandardOut)
                {
                    stdout.Append(chars, 0, decoder.GetChars(bytes, 0, read.Count, chars, 0));
                    if (stdout.ToString().Contains(text, StringComparison.Ordinal))
                    {
                        return stdout.ToString();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{text}' not in the stdout of container {Id[..12]} within {Deadline.TotalSeconds:0} s; stdout so far:{Environment.NewLine}{stdout}");
        }

        throw new InvalidOperationException($"container {Id[..12]} ended its output without '{text}'; stdout:{Environment.NewLine}{stdout}");
    }

    /// <summary>
    /// GETs <paramref name="url"/> until the server in the container answers (any status), at most <see cref="Deadline"/>;
    /// fails at once, with the container's logs, when the container stops running meanwhile.
    /// </summary>
    public async Task<HttpResponseMessage> GetWhenListeningAsync(HttpClient http, string url, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Deadline);
        while (true)
        {
            try
            {
                return await http.GetAsync(url, limit.Token);
            }
            catch (HttpRequestException) when (!limit.IsCancellationRequested)
            {
                // Nothing listens yet: the server is still starting, or the container is gone.
            }
            catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"{url} did not answer within {Deadline.TotalSeconds:0} s; container logs:{Environment.NewLine}{await DescribeAsync()}");
            }

            var state = (await InspectAsync(limit.Token)).State;
            if (!state.Running)
            {
                throw new InvalidOperationException(
                    $"container {Id[..12]} ({Image}) is {state.Status} (exit code {state.ExitCode}) instead of answering {url}; logs:{Environment.NewLine}{await DescribeAsync()}");
            }

            await Task.Delay(PollInterval, limit.Token);
        }
    }

    /// <summary>Force-removes the container (killing it if it still runs); a container already gone is fine.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _docker.Containers.RemoveContainerAsync(Id, new ContainerRemoveParameters { Force = true }, CancellationToken.None);
        }
        catch (DockerContainerNotFoundException)
        {
        }
    }

    private async Task<string> DescribeAsync()
    {
        var (stdout, stderr) = await LogsAsync(CancellationToken.None);
        return $"stdout:{Environment.NewLine}{stdout}stderr:{Environment.NewLine}{stderr}";
    }
}
