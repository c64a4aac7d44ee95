using System.Collections.Immutable;
using MeshDev.Catalog;
using MeshDev.Runtime;
using ServiceSpec = MeshDev.Catalog.ServiceSpec;
using ContainerSpec = MeshDev.Catalog.ContainerSpec;

namespace MeshDev.Docker.Tests.Runtime;

/// <summary>What the engine is asked to create for a launch: labels, environment, safe defaults, and when a kept container may be reused.</summary>
public sealed class ContainerDefinitionTests
{
    private static readonly IReadOnlyDictionary<string, string> Discovery = new Dictionary<string, string>
    {
        ["services__db__http__0"] = "http://127.0.0.1:15101",
        ["MESHDEV_SERVICE"] = "web",
    };

    private static ServiceSpec Service(Func<ContainerSpec, ContainerSpec>? container = null, int? port = null, params (string Name, string Value)[] env) => new()
    {
        Name = "web",
        Runtime = RuntimeKind.Docker,
        WorkingDir = "/tmp",
        Port = port,
        Args = ["--listen", "127.0.0.1:${PORT}"],
        Env = env.ToImmutableDictionary(e => e.Name, e => e.Value),
        Container = (container ?? (c => c))(new ContainerSpec { Image = "shop/web:1" }),
    };

    private static ContainerDefinition Define(ServiceSpec service, int port = 41000) =>
        ContainerDefinition.For(new LaunchRequest(service, port, Discovery, new ServiceLog(service.Name, null)), "0123456789ab", "/src/shop/meshdev.yaml");

    [Fact]
    public void A_host_network_container_carries_the_mesh_labels_port_environment_and_safe_defaults()
    {
        var definition = Define(Service(env: ("URL", "http://127.0.0.1:${PORT}/x")));
        var p = definition.Parameters;

        Assert.Equal("meshdev-0123456789ab-web", p.Name);
        Assert.Equal("shop/web:1", p.Image);
        Assert.Null(p.Entrypoint);
        Assert.Equal(["--listen", "127.0.0.1:41000"], p.Cmd);
        Assert.Equal(
            ["URL=http://127.0.0.1:41000/x", "services__db__http__0=http://127.0.0.1:15101", "MESHDEV_SERVICE=web", "PORT=41000"],
            p.Env);
        Assert.Equal("0123456789ab", p.Labels[ContainerLabels.Mesh]);
        Assert.Equal("web", p.Labels[ContainerLabels.Service]);
        Assert.Equal(Environment.UserName, p.Labels[ContainerLabels.Owner]);
        Assert.Equal("/src/shop/meshdev.yaml", p.Labels[ContainerLabels.Manifest]);
        Assert.Equal("41000", p.Labels[ContainerLabels.HostPort]);
        Assert.Equal(definition.ConfigHash, p.Labels[ContainerLabels.Config]);
        Assert.Equal(41000, definition.HostPort);
        Assert.Equal("host", p.HostConfig.NetworkMode);
        Assert.Null(p.HostConfig.PortBindings);
        Assert.False(p.HostConfig.Privileged);
        Assert.Equal(["no-new-privileges:true"], p.HostConfig.SecurityOpt);
        Assert.Equal(TimeSpan.FromSeconds(5), p.StopTimeout);
    }

    [Fact]
    public void A_bridged_container_publishes_its_port_on_loopback_only()
    {
        var definition = Define(Service(c => c with { Network = ContainerNetwork.Bridge }, port: 8080), port: 8080);
        var p = definition.Parameters;

        Assert.Equal("bridge", p.HostConfig.NetworkMode);
        Assert.True(p.ExposedPorts.ContainsKey("8080/tcp"));
        var binding = Assert.Single(p.HostConfig.PortBindings["8080/tcp"]);
        Assert.Equal("127.0.0.1", binding.HostIP);
        Assert.Equal(definition.HostPort.ToString(), binding.HostPort);
        Assert.NotEqual(8080, definition.HostPort);
        Assert.Contains("PORT=8080", p.Env);
    }

    [Fact]
    public void Command_volumes_working_dir_and_seccomp_are_passed_on()
    {
        var service = Service(c => c with
        {
            Volumes = [new VolumeMount("/srv/data", "/data", false), new VolumeMount("cache", "/cache", true)],
            WorkingDir = "/app",
            Seccomp = "unconfined",
        }) with { Command = "/app/web" };

        var p = Define(service).Parameters;

        Assert.Equal(["/app/web"], p.Entrypoint);
        Assert.Equal(["/srv/data:/data", "cache:/cache:ro"], p.HostConfig.Binds);
        Assert.Equal("/app", p.WorkingDir);
        Assert.Equal(["no-new-privileges:true", "seccomp=unconfined"], p.HostConfig.SecurityOpt);
    }

    [Fact]
    public void The_settings_hash_ignores_the_auto_port_of_each_launch_but_not_the_settings()
    {
        var service = Service(env: ("LOG", "debug"));

        var first = Define(service, port: 41000).ConfigHash;
        var second = Define(service, port: 42000).ConfigHash;
        var otherEnv = Define(Service(env: ("LOG", "info"))).ConfigHash;
        var otherImage = Define(service with { Container = service.Container! with { Image = "shop/web:2" } }).ConfigHash;
        var otherNetwork = Define(service with { Container = service.Container! with { Network = ContainerNetwork.Bridge }, Port = 8080 }, 8080).ConfigHash;

        Assert.Equal(first, second);
        Assert.Equal(4, new[] { first, otherEnv, otherImage, otherNetwork }.Distinct().Count());
    }
}
