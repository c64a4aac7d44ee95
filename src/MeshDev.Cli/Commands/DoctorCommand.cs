using System.CommandLine;
using System.Diagnostics;
using MeshDev.Catalog;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Control;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Docker;
using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary>
/// <c>meshdev doctor</c>: checks what the mesh needs (the .NET SDK, the manifest, free mesh ports) and what some
/// runtimes need (a Docker engine with what the containers need from it, a Kubernetes context), and says in one
/// sentence each what to fix.
/// </summary>
public static class DoctorCommand
{
    /// <summary>One finding: <see cref="Ok"/> false and <see cref="Required"/> true makes the exit code 1.</summary>
    public sealed record Check(string Name, bool Ok, bool Required, string Message);

    public static Command Create()
    {
        var file = CommonOptions.File();
        var json = CommonOptions.Json();
        var command = new Command("doctor", "Check the .NET SDK, the manifest, the mesh ports, the Docker engine and the Kubernetes context") { file, json };
        command.SetAction(async (parse, ct) =>
        {
            var checks = await RunAsync(Path.GetFullPath(parse.GetValue(file)!), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Print(checks);
            }
            else
            {
                foreach (var check in checks)
                {
                    Console.WriteLine($"{(check.Ok ? "ok  " : check.Required ? "FAIL" : "warn")}  {check.Name}: {check.Message}");
                }
            }

            return checks.Any(c => c.Required && !c.Ok) ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    public static async Task<IReadOnlyList<Check>> RunAsync(string manifestPath, CancellationToken cancellationToken)
    {
        var checks = new List<Check> { await DotnetSdkAsync(cancellationToken) };
        MeshManifest? manifest = null;
        try
        {
            manifest = ManifestLoader.Load(manifestPath);
            checks.Add(new Check("manifest", true, true, $"{manifestPath} is valid ({Plural.Of(manifest.Services.Length, "service")})"));
        }
        catch (ManifestException ex)
        {
            checks.Add(new Check("manifest", false, true, $"{manifestPath} has {Plural.Of(ex.Errors.Count, "problem")}, the first: {ex.Errors[0]}; run 'meshdev validate' to see all"));
        }

        if (manifest is not null)
        {
            checks.Add(MeshPorts(manifest));
        }

        checks.Add(await DockerEngineAsync(manifest, cancellationToken));
        checks.AddRange(await DoctorEngineNeeds.RunAsync(manifest, cancellationToken));
        checks.Add(KubeContext(manifest));
        if (manifest is not null && await PodLinksAsync(manifest, cancellationToken) is { } links)
        {
            checks.Add(links);
        }

        return checks;
    }

    /// <summary>
    /// The links of the running mesh to its pods' gateways: a pod whose link is down cannot call laptop services (its
    /// calls get "not connected" at once). Only when the mesh runs and has a pod with a gateway.
    /// </summary>
    private static async Task<Check?> PodLinksAsync(MeshManifest manifest, CancellationToken cancellationToken)
    {
        if (!manifest.Services.Any(s => s.Runtime == RuntimeKind.Kubernetes) || ControlClient.TryConnect(manifest.FilePath, out _) is not { } client)
        {
            return null;
        }

        using (client)
        {
            MeshStatus status;
            try
            {
                status = await client.GetStatusAsync(cancellationToken);
            }
            catch (Exception e) when (e is Grpc.Core.RpcException or HttpRequestException)
            {
                return new Check("pod links", false, false, $"the running mesh did not answer ({e.Message})");
            }

            var links = status.Services.Where(s => s.Link is not null).ToList();
            if (links.Count == 0)
            {
                return new Check("pod links", true, false, "no pod of this mesh runs now");
            }

            var down = links.Where(s => !s.Link!.Contains(" connected", StringComparison.Ordinal)).ToList();
            return down.Count == 0
                ? new Check("pod links", true, false, $"{Plural.Of(links.Count, "pod")} connected to this mesh")
                : new Check("pod links", false, false, string.Join("; ", down.Select(s => $"{s.Name}: {s.Link}")) +
                    " — while a link is down its pod's calls to laptop services fail; it reconnects by itself once the API server accepts port-forwards again");
        }
    }

    private static async Task<Check> DotnetSdkAsync(CancellationToken cancellationToken)
    {
        try
        {
            var start = new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var version = (await process.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0
                ? new Check(".NET SDK", true, true, $"{version} (builds and runs project: services)")
                : new Check(".NET SDK", false, true, "'dotnet --version' failed: install the .NET 10 SDK");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return new Check(".NET SDK", false, true, "'dotnet' is not on PATH: install the .NET 10 SDK");
        }
    }

    private static Check MeshPorts(MeshManifest manifest)
    {
        if (DaemonInfo.TryRead(StateDirectory.For(manifest).DaemonFile) is { IsAlive: true } running)
        {
            return new Check("mesh ports", true, true, $"in use by this manifest's running mesh (pid {running.Pid})");
        }

        // The same check `up` makes before it starts.
        return MeshHost.PortsTakenByOthers(manifest) is { } taken
            ? new Check("mesh ports", false, true, $"taken by another program: {taken}: stop it or choose other ports in the manifest")
            : new Check("mesh ports", true, true, $"all {MeshHost.ListeningPorts(manifest).Count} free on 127.0.0.1");
    }

    /// <summary>The engine the Docker runtime would use, asked the same way (a ping, then its version); required when the manifest has containers.</summary>
    private static async Task<Check> DockerEngineAsync(MeshManifest? manifest, CancellationToken cancellationToken)
    {
        var needed = manifest?.Services.Any(s => s.Runtime == RuntimeKind.Docker) ?? false;
        var why = needed ? "the manifest has runtime: docker services" : "needed only for runtime: docker";
        using var engine = new DockerEngine();
        try
        {
            var client = await engine.ConnectAsync(cancellationToken);
            var version = await client.System.GetVersionAsync(cancellationToken);
            return new Check("docker engine", true, needed, $"Docker {version.Version} (API {version.APIVersion}) answering at {engine.Endpoint}");
        }
        catch (LaunchException e)
        {
            return new Check("docker engine", false, needed, $"{e.Message} — {why}");
        }
    }

    /// <summary>
    /// The kubeconfig the Kubernetes runtime would use, loaded the same way (KUBECONFIG's files merged; the context,
    /// its cluster and user resolved), for each context the manifest's kubernetes services name (else the current
    /// one); required when the manifest has such services. The cluster itself is not called.
    /// </summary>
    private static Check KubeContext(MeshManifest? manifest)
    {
        var services = manifest?.Services.Where(s => s.Runtime == RuntimeKind.Kubernetes).ToList() ?? [];
        var needed = services.Count > 0;
        var why = needed ? "the manifest has runtime: kubernetes services" : "needed only for runtime: kubernetes";
        var source = KubeConfigSource.FromEnvironment();
        var contexts = needed ? services.Select(s => s.Kubernetes?.Context).Distinct().ToList() : [null];
        var described = new List<string>();
        foreach (var context in contexts)
        {
            try
            {
                described.Add(source.Describe(context));
            }
            catch (LaunchException e)
            {
                return new Check("kube context", false, needed, $"{e.Message} — {why}");
            }
        }

        return new Check("kube context", true, needed, string.Join("; ", described));
    }
}
