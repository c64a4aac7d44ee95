using System.Globalization;
using System.Runtime.InteropServices;
using Docker.DotNet;

namespace MeshDev.DockerBench;

/// <summary>Where the bench ran: the machine, the Docker engine (from its API), the runtime, the commit.</summary>
internal sealed record Machine(string Date, int Cpus, string CpuModel, string Kernel, string Engine, string Runtime, string Commit, string LoadAtStart)
{
    public static async Task<Machine> DescribeAsync(DockerClient client, string repositoryRoot, CancellationToken cancellationToken)
    {
        var version = await client.System.GetVersionAsync(cancellationToken).ConfigureAwait(false);
        var info = await client.System.GetSystemInfoAsync(cancellationToken).ConfigureAwait(false);
        var engine = $"Docker engine {version.Version} (API {version.APIVersion}; storage driver {info.Driver}, cgroup {info.CgroupVersion} ({info.CgroupDriver}), runtime {info.DefaultRuntime})";

        var (commit, dirty) = HostFacts.Commit(repositoryRoot, shortHash: true);
        return new Machine(
            DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            Environment.ProcessorCount,
            HostFacts.CpuModel() ?? "unknown CPU",
            HostFacts.Kernel(),
            engine,
            $"{RuntimeInformation.FrameworkDescription}",
            commit + (dirty > 0 ? $" (plus {dirty} uncommitted change(s))" : ""),
            HostFacts.LoadAverage());
    }
}
