using System.Text.RegularExpressions;
using MeshDev.Catalog;

namespace MeshDev.Authoring.Init;

/// <summary>
/// A readiness probe better than the default TCP connect, when the project's code serves one: the gRPC health service
/// (<c>MapGrpcHealthChecksService</c>) or an HTTP health endpoint (<c>MapHealthChecks("/healthz")</c>).
/// </summary>
internal static partial class ReadyDetection
{
    /// <summary>The probe, the code that serves it and its file, or null to keep the default.</summary>
    public static (ReadyProbeSpec Probe, string Code, string File)? Find(IReadOnlyList<SourceText> sources)
    {
        if (sources.FirstOrDefault(s => s.Text.Contains("MapGrpcHealthChecksService", StringComparison.Ordinal)) is { } grpc)
        {
            return (new ReadyProbeSpec(ReadyKind.Grpc), "MapGrpcHealthChecksService", grpc.Path);
        }

        foreach (var source in sources)
        {
            if (HealthEndpoint().Match(source.Text) is { Success: true } match)
            {
                return (new ReadyProbeSpec(ReadyKind.Http, match.Groups["path"].Value), match.Value, source.Path);
            }
        }

        return null;
    }

    [GeneratedRegex("""MapHealthChecks\(\s*"(?<path>/[^"\s]*)"\s*\)""")]
    private static partial Regex HealthEndpoint();
}
