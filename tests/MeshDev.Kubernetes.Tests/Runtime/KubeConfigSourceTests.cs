using MeshDev.Kubernetes.Cluster;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Tests.Runtime;

/// <summary>Reading the kubeconfig as kubectl does, and one sentence on what to fix when it cannot be used.</summary>
public sealed class KubeConfigSourceTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshdev-kubeconfig-").FullName;

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Config(string context, string server, string? current = null) => $$"""
        apiVersion: v1
        kind: Config
        {{(current is null ? "" : $"current-context: {current}")}}
        clusters:
          - name: {{context}}
            cluster: { server: "{{server}}" }
        users:
          - name: {{context}}
            user: { token: secret }
        contexts:
          - name: {{context}}
            context: { cluster: {{context}}, user: {{context}} }
        """;

    [Fact]
    public void The_current_context_or_the_named_one_is_used()
    {
        var source = KubeConfigSource.FromFile(Write("config", Config("kind-dev", "http://127.0.0.1:6443", current: "kind-dev")));

        var (configuration, description) = source.Load(null);

        Assert.Equal("http://127.0.0.1:6443", configuration.Host.TrimEnd('/'));
        Assert.Equal($"context 'kind-dev' of {Path.Combine(_directory, "config")}", description);
        Assert.Equal(Timeout.InfiniteTimeSpan, configuration.HttpClientTimeout);
    }

    [Fact]
    public void An_unknown_context_lists_the_known_ones()
    {
        var source = KubeConfigSource.FromFile(Write("config", Config("kind-dev", "http://127.0.0.1:6443", current: "kind-dev")));

        var error = Assert.Throws<LaunchException>(() => source.Load("prod"));

        Assert.Equal($"context 'prod' is not in {Path.Combine(_directory, "config")} (it has kind-dev); fix 'context' or KUBECONFIG", error.Message);
    }

    [Fact]
    public void A_missing_file_says_how_to_get_one()
    {
        var error = Assert.Throws<LaunchException>(() => KubeConfigSource.FromFile(Path.Combine(_directory, "none")).Load(null));

        Assert.StartsWith($"no kubeconfig at {Path.Combine(_directory, "none")}: create a cluster", error.Message);
    }

    [Fact]
    public void A_file_without_a_current_context_says_how_to_choose_one()
    {
        var error = Assert.Throws<LaunchException>(() => KubeConfigSource.FromFile(Write("config", Config("kind-dev", "http://127.0.0.1:6443"))).Load(null));

        Assert.Contains("sets no current-context: run 'kubectl config use-context NAME' or set 'context' on the service", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
