using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Docker.DotNet.Models;
using MeshDev.Catalog;
using MeshDev.Runtime;

namespace MeshDev.Docker;

/// <summary>
/// What the engine is asked to create for one launch of a service, and the hash of the settings it comes from: a
/// stopped or running container with the same hash (and image) is reused, any other is replaced.
/// </summary>
internal sealed class ContainerDefinition
{
    private ContainerDefinition(CreateContainerParameters parameters, string configHash, int hostPort)
    {
        Parameters = parameters;
        ConfigHash = configHash;
        HostPort = hostPort;
    }

    public CreateContainerParameters Parameters { get; }

    public string ConfigHash { get; }

    /// <summary>The port on the host's loopback where the container will answer.</summary>
    public int HostPort { get; }

    public static ContainerDefinition For(LaunchRequest request, string meshId, string manifestPath)
    {
        var service = request.Service;
        var container = service.Container ?? throw new ArgumentException($"service '{service.Name}' is not a container", nameof(request));
        var bridge = container.Network == ContainerNetwork.Bridge;

        // With host networking the app listens on the host's loopback directly; a bridged app's port is published there.
        var hostPort = bridge ? Ports.GetFreeServicePort() : request.Port;
        var configHash = HashOf(request);
        var environment = service.Env
            .Concat(request.Environment)
            .GroupBy(e => e.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key}={request.Substitute(g.Last().Value)}")
            .Append($"PORT={request.Port.ToString(CultureInfo.InvariantCulture)}")
            .ToList();

        var portKey = $"{request.Port.ToString(CultureInfo.InvariantCulture)}/tcp";
        var parameters = new CreateContainerParameters
        {
            Name = ContainerLabels.ContainerName(meshId, service.Name),
            Image = container.Image,
            Entrypoint = service.Command is { } command ? [command] : null,
            Cmd = service.Args.IsEmpty ? null : [.. service.Args.Select(request.Substitute)],
            Env = environment,
            WorkingDir = container.WorkingDir,
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.Mesh] = meshId,
                [ContainerLabels.Service] = service.Name,
                [ContainerLabels.Owner] = Environment.UserName,
                [ContainerLabels.Manifest] = manifestPath,
                [ContainerLabels.Config] = configHash,
                [ContainerLabels.HostPort] = hostPort.ToString(CultureInfo.InvariantCulture),
            },
            ExposedPorts = bridge ? new Dictionary<string, EmptyStruct> { [portKey] = default } : null,
            StopTimeout = TimeSpan.FromSeconds(Math.Ceiling(service.StopGracePeriod.TotalSeconds)),
            HostConfig = new HostConfig
            {
                NetworkMode = bridge ? "bridge" : "host",
                PortBindings = bridge
                    ? new Dictionary<string, IList<PortBinding>> { [portKey] = [new PortBinding { HostIP = "127.0.0.1", HostPort = hostPort.ToString(CultureInfo.InvariantCulture) }] }
                    : null,
                Binds = container.Volumes.IsEmpty ? null : [.. container.Volumes.Select(v => v.ToString())],
                // Safe defaults: never privileged, no privilege gain through setuid binaries, the engine's seccomp profile.
                Privileged = false,
                SecurityOpt = SecurityOptions(container),
            },
        };
        return new ContainerDefinition(parameters, configHash, hostPort);
    }

    private static List<string> SecurityOptions(ContainerSpec container)
    {
        var options = new List<string> { "no-new-privileges:true" };
        if (container.Seccomp == "unconfined")
        {
            options.Add("seccomp=unconfined");
        }
        else if (container.Seccomp is { } profile)
        {
            // The engine's API takes the profile's JSON itself, not a path.
            options.Add("seccomp=" + File.ReadAllText(profile));
        }

        return options;
    }

    /// <summary>
    /// A hash of the settings as written (before <c>${PORT}</c> is substituted, so an <c>auto</c> port does not make
    /// every launch look different) and of the discovery environment, which follows the manifest.
    /// </summary>
    private static string HashOf(LaunchRequest request)
    {
        var service = request.Service;
        var container = service.Container!;
        var text = new StringBuilder("v1\n");
        void Add(string key, string? value) => text.Append(key).Append('=').Append(value).Append('\n');
        Add("image", container.Image);
        Add("command", service.Command);
        Add("args", string.Join('\0', service.Args));
        foreach (var (name, value) in service.Env.Concat(request.Environment).OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            Add("env." + name, value);
        }

        Add("port", service.Port?.ToString(CultureInfo.InvariantCulture) ?? "auto");
        Add("network", container.Network.ToString());
        Add("volumes", string.Join('\0', container.Volumes));
        Add("workingDir", container.WorkingDir);
        Add("seccomp", container.Seccomp is { } path && path != "unconfined" && File.Exists(path) ? File.ReadAllText(path) : container.Seccomp);
        Add("stop", service.StopGracePeriod.TotalSeconds.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 8));
    }
}
