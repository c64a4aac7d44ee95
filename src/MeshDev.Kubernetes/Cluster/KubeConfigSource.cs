using k8s;
using k8s.Exceptions;
using MeshDev.Runtime;

namespace MeshDev.Kubernetes.Cluster;

/// <summary>
/// Where the cluster settings come from, as kubectl reads them: the files of <c>KUBECONFIG</c> (merged, first one
/// wins), else <c>~/.kube/config</c>; the manifest's <c>context</c>, else the file's current-context.
/// </summary>
public sealed class KubeConfigSource
{
    private readonly string[] _files;
    private readonly string _origin;

    private KubeConfigSource(string[] files, string origin)
    {
        _files = files;
        _origin = origin;
    }

    /// <summary>The files of <c>KUBECONFIG</c>, else the default file.</summary>
    public static KubeConfigSource FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } variable)
        {
            return new KubeConfigSource(variable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), "KUBECONFIG");
        }

        return FromFile(KubernetesClientConfiguration.KubeConfigDefaultLocation);
    }

    /// <summary>One given kubeconfig file (tests, tools).</summary>
    public static KubeConfigSource FromFile(string path) => new([Path.GetFullPath(path)], "the default kubeconfig");

    /// <summary>The files read, for messages: <c>/home/alice/.kube/config</c>.</summary>
    public string Files => string.Join(Path.PathSeparator, _files);

    /// <summary>
    /// Checks that <paramref name="context"/> (null = the current context) can be used, exactly as a launch loads it
    /// (files merged, context, cluster and user resolved; a credential plugin the user names runs, as for a launch),
    /// without calling the cluster: "context 'dev' of /home/alice/.kube/config".
    /// </summary>
    /// <exception cref="LaunchException">What to fix.</exception>
    public string Describe(string? context = null) => Load(context).Description;

    /// <summary>The client settings of <paramref name="context"/> (null = the current context); <see cref="LaunchException"/> saying what to fix.</summary>
    internal (KubernetesClientConfiguration Configuration, string Description) Load(string? context)
    {
        var existing = _files.Where(File.Exists).Select(f => new FileInfo(f)).ToArray();
        if (existing.Length == 0)
        {
            throw new LaunchException(_origin == "KUBECONFIG"
                ? $"no kubeconfig: none of the files in KUBECONFIG ({Files}) exists; point KUBECONFIG at your cluster's kubeconfig (kind, k3d and minikube write one when they create a cluster)"
                : $"no kubeconfig at {Files}: create a cluster (kind create cluster, k3d cluster create, minikube start) or set KUBECONFIG to your cluster's kubeconfig");
        }

        try
        {
            var files = existing.Select(f => KubernetesClientConfiguration.LoadKubeConfig(f)).ToList();
            var name = context ?? files.Select(f => f.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c));
            if (string.IsNullOrEmpty(name))
            {
                throw new LaunchException($"{Files} sets no current-context: run 'kubectl config use-context NAME' or set 'context' on the service");
            }

            // Merged as kubectl does for the parts that matter here: the first file that has the context is the base
            // (its relative paths stay relative to it); clusters and users it lacks come from the others.
            var merged = files.FirstOrDefault(f => f.Contexts?.Any(c => c.Name == name) == true);
            if (merged is null)
            {
                var known = files.SelectMany(f => f.Contexts ?? []).Select(c => c.Name).Distinct().ToList();
                throw new LaunchException($"context '{name}' is not in {Files} (it has {(known.Count == 0 ? "no contexts" : string.Join(", ", known))}); fix 'context' or KUBECONFIG");
            }

            foreach (var other in files.Where(f => !ReferenceEquals(f, merged)))
            {
                merged.Clusters = (merged.Clusters ?? []).Concat((other.Clusters ?? []).Where(c => merged.Clusters?.Any(m => m.Name == c.Name) != true)).ToList();
                merged.Users = (merged.Users ?? []).Concat((other.Users ?? []).Where(u => merged.Users?.Any(m => m.Name == u.Name) != true)).ToList();
            }

            var configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(merged, name);
            // Watches, log follows and port-forwards last as long as they are needed; every other request brings its own timeout.
            configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
            return (configuration, $"context '{name}' of {Files}");
        }
        catch (Exception e) when (e is KubeConfigException or FormatException or System.Security.Cryptography.CryptographicException)
        {
            // FormatException, CryptographicException: bad base64 or a certificate that does not parse in *-data fields.
            throw new LaunchException($"the kubeconfig {Files} cannot be used: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            throw new LaunchException($"the kubeconfig {Files} cannot be read: {e.Message}", e);
        }
    }
}
