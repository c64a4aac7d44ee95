using System.Text;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// Reading KubernetesClient's demuxed port-forward streams in tests. Its muxed streams block the reading thread until
/// data comes, and blocking pool threads would starve the in-process server and the client's receive loop, so each
/// exchange runs on a thread of its own.
/// </summary>
internal static class DemuxedStreams
{
    /// <summary>Reads <paramref name="stream"/> to its end.</summary>
    public static Task<string> ReadToEndAsync(Stream stream) => ExchangeAsync(stream, null);

    /// <summary>Writes <paramref name="request"/> (when given), then reads to the end.</summary>
    public static Task<string> ExchangeAsync(Stream stream, string? request) => Task.Factory.StartNew(
        () =>
        {
            if (request is not null)
            {
                stream.Write(Encoding.ASCII.GetBytes(request));
            }

            return new StreamReader(stream, Encoding.UTF8).ReadToEnd();
        },
        CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
